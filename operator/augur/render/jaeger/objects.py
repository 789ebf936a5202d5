"""The objects of a stack's Jaeger v2: Deployment, Service, ServiceAccount, the ConfigMap of
its configuration (config.py) and, for badger, its data volume.

One Service `<stack>-jaeger` serves the query UI, OTLP over gRPC and HTTP (and, when asked,
Jaeger Thrift over HTTP and Zipkin), and the remote sampling endpoint SDKs ask for their
sampling rate (the stack's `sampling.defaultRate`).
The Elasticsearch password is read from a mounted Secret file (`password_file`), so the
configuration holds no credential. Jaeger has no reload: a configuration change rolls the
pod (a hash of it is on the pod template)."""

from __future__ import annotations

from typing import Any

from augur import versions
from augur.api.monitoringstack import JaegerSpec
from augur.api.workload import Storage
from augur.render.component_output import ComponentOutput
from augur.render.jaeger.config import (
    CONFIG_FILE,
    DATA_DIR,
    ES_PASSWORD_DIR,
    config_text,
)
from augur.render.jaeger.ports import (
    JAEGER_HEALTH_PORT,
    JAEGER_METRICS_PORT,
    JAEGER_METRICS_PORT_NAME,
    JAEGER_QUERY_PORT,
    JAEGER_QUERY_PORT_NAME,
    SAMPLING_PORT,
    intake_ports,
)
from augur.render.k8s.labels import object_name, selector_labels
from augur.render.k8s.workloads import (
    CONFIG_HASH_ANNOTATION,
    DATA_VOLUME,
    Workload,
    config_hash,
    container_security_context,
    data_claim,
    data_claim_name,
    deployment,
    http_probe,
    ingress,
    resources,
    service_account,
)
from augur.render.selection import StackInputs

Obj = dict[str, Any]

PROGRAM = "jaeger"
CONFIG_KEY = "config.yaml"
CONFIG_DIR = "/etc/jaeger"
HEALTH_PATH = "/status"
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
NO_PIPELINES_GATE = "service.AllowNoPipelines"
"""Collector feature gate that lets Jaeger run as query only (no OTLP receiver)."""


def config_map_name(stack: str) -> str:
    """The ConfigMap holding config.yaml."""
    return object_name(stack, PROGRAM, "config")


def _ports(spec: JaegerSpec) -> list[tuple[str, int]]:
    ports = [(JAEGER_QUERY_PORT_NAME, JAEGER_QUERY_PORT), *intake_ports(spec)]
    ports.append(("sampling", SAMPLING_PORT))
    return ports


def _container(spec: JaegerSpec, mounts: list[Obj]) -> Obj:
    args = [f"--config=file:{CONFIG_DIR}/{CONFIG_KEY}"]
    if not intake_ports(spec):
        args.append(f"--feature-gates={NO_PIPELINES_GATE}")
    ports = [
        *_ports(spec),
        ("health", JAEGER_HEALTH_PORT),
        (JAEGER_METRICS_PORT_NAME, JAEGER_METRICS_PORT),
    ]
    return {
        "name": PROGRAM,
        "image": spec.image or versions.JAEGER_IMAGE,
        "args": args,
        "ports": [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports],
        "resources": resources(spec.resources, DEFAULT_REQUESTS),
        "readinessProbe": http_probe(HEALTH_PATH, "health", period=5),
        "livenessProbe": http_probe(HEALTH_PATH, "health", period=15, failures=4),
        "volumeMounts": mounts,
        "securityContext": container_security_context(),
    }


def _volumes(stack: str, spec: JaegerSpec) -> tuple[list[Obj], list[Obj]]:
    volumes: list[Obj] = [{"name": "config", "configMap": {"name": config_map_name(stack)}}]
    mounts: list[Obj] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": DATA_VOLUME, "mountPath": DATA_DIR},
    ]
    password = spec.storage.password
    if spec.storage.type == "elasticsearch" and password is not None:
        ref = password.secret_key_ref
        volumes.append(
            {
                "name": "elasticsearch",
                "secret": {"secretName": ref.name, "items": [{"key": ref.key, "path": "password"}]},
            }
        )
        mounts.append({"name": "elasticsearch", "mountPath": ES_PASSWORD_DIR, "readOnly": True})
    if spec.storage.type == "badger":
        claim = data_claim_name(stack, PROGRAM)
        volumes.append({"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": claim}})
    return volumes, mounts


def _service(w: Workload, spec: JaegerSpec) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": w.meta(),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(w.stack, w.program),
            "ports": [
                {"name": n, "port": p, "targetPort": p, "protocol": "TCP"} for n, p in _ports(spec)
            ],
        },
    }


def render_jaeger_component(inputs: StackInputs) -> ComponentOutput:
    """jaeger/config.yaml and every Jaeger object; nothing when disabled."""
    stack = inputs.stack
    spec = stack.spec.jaeger
    if not spec.enabled:
        return ComponentOutput()
    text = config_text(spec)
    volumes, mounts = _volumes(stack.name, spec)
    badger = spec.storage.type == "badger"
    storage = Storage(size=spec.storage.size, storage_class_name=spec.storage.storage_class_name)
    w = Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=PROGRAM,
        replicas=1,  # memory and badger are one process's; one collector for elasticsearch too
        pod=spec.pod,
        containers=[_container(spec, mounts)],
        volumes=volumes,
        storage=storage if badger else None,
        termination_grace_seconds=30,
    )
    manifests = [
        service_account(w),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": w.meta(config_map_name(stack.name)),
            "data": {CONFIG_KEY: text},
        },
        *([data_claim(w, storage)] if badger else []),
        _service(w, spec),
        deployment(
            w, recreate=badger, template_annotations={CONFIG_HASH_ANNOTATION: config_hash(text)}
        ),
        *ingress(w, spec.ingress, JAEGER_QUERY_PORT_NAME),
    ]
    return ComponentOutput(files={CONFIG_FILE: text}, manifests=manifests)

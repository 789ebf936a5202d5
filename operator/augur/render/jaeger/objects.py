"""A stack's Jaeger v2: its configuration (an OpenTelemetry Collector configuration with
Jaeger's extensions) and its objects: Deployment, Service, ServiceAccount, ConfigMap and,
for badger, its data volume.

One Service `<stack>-jaeger` serves the query UI, OTLP over gRPC and HTTP, and the remote
sampling endpoint SDKs ask for their sampling rate (the stack's `sampling.defaultRate`).
The Elasticsearch password is read from a mounted Secret file (`password_file`), so the
configuration holds no credential. Jaeger has no reload: a configuration change rolls the
pod (a hash of it is on the pod template)."""

from __future__ import annotations

from typing import Any

from augur import versions
from augur.api.monitoringstack import JaegerSpec
from augur.api.workload import Storage
from augur.render.component_output import ComponentOutput
from augur.render.jaeger.ports import (
    JAEGER_HEALTH_PORT,
    JAEGER_METRICS_PORT,
    JAEGER_METRICS_PORT_NAME,
    JAEGER_QUERY_PORT,
    JAEGER_QUERY_PORT_NAME,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    SAMPLING_PORT,
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
    route_prefix,
    service_account,
)
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

Obj = dict[str, Any]

PROGRAM = "jaeger"
CONFIG_FILE = "jaeger/config.yaml"
"""Where `augur render` writes the configuration, relative to the stack's folder."""
CONFIG_KEY = "config.yaml"
CONFIG_DIR = "/etc/jaeger"
DATA_DIR = "/var/lib/jaeger"
ES_PASSWORD_DIR = "/etc/jaeger/elasticsearch"
ES_PASSWORD_FILE = f"{ES_PASSWORD_DIR}/password"
STORE = "primary"
HEALTH_PATH = "/status"
SAMPLING_GRPC_PORT = 5779
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
NO_PIPELINES_GATE = "service.AllowNoPipelines"
"""Collector feature gate that lets Jaeger run as query only (no OTLP receiver)."""

ANY = "0.0.0.0"


def _endpoint(port: int) -> Obj:
    return {"endpoint": f"{ANY}:{port}"}


def _storage_backend(spec: JaegerSpec) -> Obj:
    storage = spec.storage
    if storage.type == "memory":
        return {"memory": {"max_traces": storage.max_traces}}
    if storage.type == "badger":
        return {
            "badger": {
                "directories": {"keys": f"{DATA_DIR}/keys", "values": f"{DATA_DIR}/values"},
                "ephemeral": False,
            }
        }
    es: Obj = {"server_urls": [str(storage.url)]}
    if storage.username is not None or storage.password is not None:
        basic: Obj = {}
        if storage.username is not None:
            basic["username"] = storage.username
        if storage.password is not None:
            basic["password_file"] = ES_PASSWORD_FILE
        es["auth"] = {"basic": basic}
    return {"elasticsearch": es}


def _protocols(spec: JaegerSpec) -> Obj:
    protocols: Obj = {}
    if spec.otlp.grpc:
        protocols["grpc"] = _endpoint(OTLP_GRPC_PORT)
    if spec.otlp.http:
        protocols["http"] = _endpoint(OTLP_HTTP_PORT)
    return protocols


def _extensions(spec: JaegerSpec) -> Obj:
    return {
        "healthcheckv2": {"use_v2": True, "http": _endpoint(JAEGER_HEALTH_PORT)},
        "jaeger_storage": {"backends": {STORE: _storage_backend(spec)}},
        "jaeger_query": {
            "storage": {"traces": STORE},
            "base_path": route_prefix(spec.ingress) or "/",
            "http": _endpoint(JAEGER_QUERY_PORT),
        },
        "remote_sampling": {
            "file": {"default_sampling_probability": spec.sampling.default_rate},
            "http": _endpoint(SAMPLING_PORT),
            "grpc": _endpoint(SAMPLING_GRPC_PORT),
        },
    }


def _telemetry() -> Obj:
    prometheus = {"host": ANY, "port": JAEGER_METRICS_PORT}
    return {
        "resource": {"service.name": "jaeger"},
        "metrics": {
            "level": "detailed",
            "readers": [{"pull": {"exporter": {"prometheus": prometheus}}}],
        },
        "logs": {"level": "info"},
    }


def render_jaeger_config(spec: JaegerSpec) -> Obj:
    """Jaeger's configuration: OTLP receivers, one storage backend, query, sampling, health."""
    extensions = _extensions(spec)
    service: Obj = {"extensions": list(extensions)}
    config: Obj = {"extensions": extensions}
    protocols = _protocols(spec)
    if protocols:
        config["receivers"] = {"otlp": {"protocols": protocols}}
        config["processors"] = {"batch": {}}
        config["exporters"] = {"jaeger_storage_exporter": {"trace_storage": STORE}}
        service["pipelines"] = {
            "traces": {
                "receivers": ["otlp"],
                "processors": ["batch"],
                "exporters": ["jaeger_storage_exporter"],
            }
        }
    service["telemetry"] = _telemetry()
    config["service"] = service
    return config


def config_text(spec: JaegerSpec) -> str:
    """The configuration file's text."""
    return GENERATED_HEADER + dump_yaml(render_jaeger_config(spec))


def config_map_name(stack: str) -> str:
    """The ConfigMap holding config.yaml."""
    return object_name(stack, PROGRAM, "config")


def _ports(spec: JaegerSpec) -> list[tuple[str, int]]:
    ports = [(JAEGER_QUERY_PORT_NAME, JAEGER_QUERY_PORT)]
    if spec.otlp.grpc:
        ports.append(("otlp-grpc", OTLP_GRPC_PORT))
    if spec.otlp.http:
        ports.append(("otlp-http", OTLP_HTTP_PORT))
    ports.append(("sampling", SAMPLING_PORT))
    return ports


def _container(spec: JaegerSpec, mounts: list[Obj]) -> Obj:
    args = [f"--config=file:{CONFIG_DIR}/{CONFIG_KEY}"]
    if not (spec.otlp.grpc or spec.otlp.http):
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

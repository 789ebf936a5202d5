"""The Kubernetes objects of a stack's Alertmanager: StatefulSet (a gossip cluster from two
replicas), Services, ServiceAccount and the Secret holding its compressed configuration.

Alertmanager has no automatic reload. prometheus-operator's prometheus-config-reloader runs
beside it: it watches the compressed configuration in its Secret volume, writes the
decompressed file Alertmanager reads and calls Alertmanager's reload endpoint. The same
program runs once as an init container, so the file exists before Alertmanager starts."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from augur import versions
from augur.render.alertmanager.compression import CONFIG_SECRET_KEY, compress_config
from augur.render.alertmanager.config import AlertmanagerConfig
from augur.render.alertmanager.credentials import (
    AWS_CREDENTIALS_KEY,
    CREDENTIALS_MOUNT_PATH,
    credentials_secret_name,
)
from augur.render.alertmanager.ports import (
    ALERTMANAGER_WEB_PORT,
    ALERTMANAGER_WEB_PORT_NAME,
    MESH_PORT,
    RELOADER_PORT,
    RELOADER_PORT_NAME,
)
from augur.render.component_output import ComponentOutput
from augur.render.k8s.labels import object_name
from augur.render.k8s.workloads import (
    CONFIG_HASH_ANNOTATION,
    DATA_VOLUME,
    Workload,
    client_service,
    config_hash,
    container_security_context,
    external_url,
    headless_service,
    http_probe,
    ingress,
    pod_disruption_budget,
    pod_env,
    resources,
    route_prefix,
    service_account,
    stateful_set,
)
from augur.render.selection import StackInputs

Obj = dict[str, Any]

PROGRAM = "alertmanager"
CONFIG_DIR = "/etc/alertmanager/config"
"""The config Secret's volume: the compressed configuration."""
CONFIG_OUT_DIR = "/etc/alertmanager/config_out"
"""An in-memory emptyDir: the decompressed configuration Alertmanager reads."""
CONFIG_OUT_FILE = f"{CONFIG_OUT_DIR}/alertmanager.yaml"
DATA_DIR = "/alertmanager"
DEFAULT_REQUESTS = {"cpu": "50m", "memory": "128Mi"}
RELOADER_RESOURCES = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}}


def config_secret_name(stack: str) -> str:
    """The Secret holding the gzip-compressed configuration (no credential is in it)."""
    return object_name(stack, PROGRAM, "config")


def _reloader_args(once: bool, reload_url: str) -> list[str]:
    args = [
        f"--config-file={CONFIG_DIR}/{CONFIG_SECRET_KEY}",
        f"--config-envsubst-file={CONFIG_OUT_FILE}",
    ]
    if once:
        return ["--watch-interval=0", *args]
    return [
        f"--listen-address=:{RELOADER_PORT}",
        f"--reload-url={reload_url}",
        *args,
        f"--watched-dir={CREDENTIALS_MOUNT_PATH}",
    ]


def reloader_container(name: str, *, once: bool, reload_url: str) -> Obj:
    """prometheus-config-reloader: once (init) or watching (sidecar)."""
    container: Obj = {
        "name": name,
        "image": versions.PROMETHEUS_CONFIG_RELOADER_IMAGE,
        "args": _reloader_args(once, reload_url),
        "env": pod_env()[:1],
        "resources": RELOADER_RESOURCES,
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
            {"name": "config-out", "mountPath": CONFIG_OUT_DIR},
            {"name": "credentials", "mountPath": CREDENTIALS_MOUNT_PATH, "readOnly": True},
        ],
        "securityContext": container_security_context(),
    }
    if not once:
        container["ports"] = [
            {"name": RELOADER_PORT_NAME, "containerPort": RELOADER_PORT, "protocol": "TCP"}
        ]
        container["livenessProbe"] = http_probe("/healthz", RELOADER_PORT_NAME, period=30)
    return container


def _cluster_args(w: Workload) -> list[str]:
    if w.replicas <= 1:
        return ["--cluster.listen-address="]  # no peers: gossip off
    return [
        f"--cluster.listen-address=[$(POD_IP)]:{MESH_PORT}",
        *(f"--cluster.peer={peer}" for peer in w.pod_dns_names(MESH_PORT)),
    ]


def _alertmanager_container(inputs: StackInputs, w: Workload) -> Obj:
    spec = inputs.stack.spec.alertmanager
    prefix = route_prefix(spec.ingress)
    args = [
        f"--config.file={CONFIG_OUT_FILE}",
        f"--storage.path={DATA_DIR}",
        f"--web.listen-address=:{ALERTMANAGER_WEB_PORT}",
        *_cluster_args(w),
    ]
    url = external_url(spec.ingress)
    if url:
        args.append(f"--web.external-url={url}")
    aws_file = f"{CREDENTIALS_MOUNT_PATH}/{AWS_CREDENTIALS_KEY}"
    return {
        "name": PROGRAM,
        "image": spec.image or versions.ALERTMANAGER_IMAGE,
        "args": args,
        "env": [*pod_env(), {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": aws_file}],
        "ports": [
            {
                "name": ALERTMANAGER_WEB_PORT_NAME,
                "containerPort": ALERTMANAGER_WEB_PORT,
                "protocol": "TCP",
            },
            {"name": "mesh-tcp", "containerPort": MESH_PORT, "protocol": "TCP"},
            {"name": "mesh-udp", "containerPort": MESH_PORT, "protocol": "UDP"},
        ],
        "resources": resources(spec.resources, DEFAULT_REQUESTS),
        "readinessProbe": http_probe(f"{prefix}/-/ready", ALERTMANAGER_WEB_PORT_NAME, period=5),
        "livenessProbe": http_probe(f"{prefix}/-/healthy", ALERTMANAGER_WEB_PORT_NAME),
        "volumeMounts": [
            {"name": "config-out", "mountPath": CONFIG_OUT_DIR, "readOnly": True},
            {"name": "credentials", "mountPath": CREDENTIALS_MOUNT_PATH, "readOnly": True},
            {"name": DATA_VOLUME, "mountPath": DATA_DIR},
        ],
        "securityContext": container_security_context(),
    }


def _volumes(stack: str) -> list[Obj]:
    return [
        {"name": "config", "secret": {"secretName": config_secret_name(stack)}},
        {"name": "config-out", "emptyDir": {"medium": "Memory"}},
        {
            "name": "credentials",
            "secret": {"secretName": credentials_secret_name(stack), "optional": True},
        },
    ]


def alertmanager_workload(inputs: StackInputs, config_text: str) -> Workload:
    """The Alertmanager StatefulSet's description."""
    stack = inputs.stack
    spec = stack.spec.alertmanager
    base = Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=PROGRAM,
        replicas=spec.replicas,
        pod=spec.pod,
        containers=[],
        volumes=_volumes(stack.name),
        storage=spec.storage,
        statefulset_annotations={CONFIG_HASH_ANNOTATION: config_hash(config_text)},
    )
    prefix = route_prefix(spec.ingress)
    reload_url = f"http://127.0.0.1:{ALERTMANAGER_WEB_PORT}{prefix}/-/reload"
    return replace(
        base,
        init_containers=[
            reloader_container("init-config-reloader", once=True, reload_url=reload_url)
        ],
        containers=[
            _alertmanager_container(inputs, base),
            reloader_container("config-reloader", once=False, reload_url=reload_url),
        ],
    )


def config_secret(w: Workload, config_text: str) -> Obj:
    """The configuration, gzip-compressed as the reloader reads it."""
    data = base64.b64encode(compress_config(config_text)).decode("ascii")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": w.meta(config_secret_name(w.stack)),
        "type": "Opaque",
        "data": {CONFIG_SECRET_KEY: data},
    }


def render_alertmanager_workload(
    inputs: StackInputs, config: AlertmanagerConfig | None
) -> ComponentOutput:
    """Every Alertmanager object, around its rendered configuration. Nothing when disabled
    (or without a configuration)."""
    stack = inputs.stack
    if not stack.spec.alertmanager.enabled or config is None:
        return ComponentOutput()
    text = config.text()
    w = alertmanager_workload(inputs, text)
    ports = [
        (ALERTMANAGER_WEB_PORT_NAME, ALERTMANAGER_WEB_PORT, "TCP"),
        ("mesh-tcp", MESH_PORT, "TCP"),
        ("mesh-udp", MESH_PORT, "UDP"),
    ]
    manifests = [
        service_account(w),
        config_secret(w, text),
        headless_service(w, ports),
        client_service(w, ALERTMANAGER_WEB_PORT_NAME, ALERTMANAGER_WEB_PORT),
        stateful_set(w),
        *pod_disruption_budget(w),
        *ingress(w, stack.spec.alertmanager.ingress, ALERTMANAGER_WEB_PORT_NAME),
    ]
    return ComponentOutput(manifests=manifests)

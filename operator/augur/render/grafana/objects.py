"""The Kubernetes objects of a stack's Grafana: Deployment, Service, ServiceAccount, the
provisioning and dashboard ConfigMaps, the admin credentials Secret and its data volume.

The admin Secret (`grafana.adminSecretRef`) is rendered without any value and marked
create-only: the operator creates it when absent, with `admin-user: admin` and a random
`admin-password` (the keys named in its annotation), and never changes it afterwards, so a
later reconcile cannot rotate the password away. Grafana reads both keys through env
`valueFrom`; the database password too, so no secret value is ever rendered.

User dashboards are the ConfigMaps of the stack's namespace that `dashboards.configMapSelector`
selects; each is mounted whole (never subPath) under the user dashboards folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from augur import versions
from augur.api.monitoringstack import GrafanaSpec
from augur.render.component_output import ComponentOutput, Dashboard
from augur.render.grafana.dashboards.provisioning import (
    BUILT_IN_DIR,
    DASHBOARDS_DIR,
    DATASOURCES_FILE,
    PROVIDERS_FILE,
    PROVISIONING_DIR,
    USER_DIR,
    DashboardFile,
    built_in_dashboards,
    datasources_text,
    other_dashboards,
    providers_text,
)
from augur.render.grafana.ports import GRAFANA_PORT, GRAFANA_PORT_NAME
from augur.render.k8s.endpoints import StackEndpoints
from augur.render.k8s.labels import (
    CREATE_ONLY_ANNOTATION,
    RANDOM_KEYS_ANNOTATION,
    object_name,
)
from augur.render.k8s.workloads import (
    CONFIG_HASH_ANNOTATION,
    DATA_VOLUME,
    Workload,
    client_service,
    config_hash,
    container_security_context,
    data_claim,
    data_claim_name,
    deployment,
    external_url,
    http_probe,
    ingress,
    pod_disruption_budget,
    resources,
    route_prefix,
    service_account,
)
from augur.render.selection import StackInputs

Obj = dict[str, Any]

PROGRAM = "grafana"
DATA_DIR = "/var/lib/grafana"
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
ADMIN_USER_KEY = "admin-user"
ADMIN_PASSWORD_KEY = "admin-password"
ADMIN_USER = "admin"
CONFIG_MAP_LIMIT = 900 * 1024
"""Warn well before the 1 MiB a ConfigMap may hold."""


def provisioning_config_map_name(stack: str) -> str:
    """The ConfigMap with the datasources and dashboard providers."""
    return object_name(stack, PROGRAM, "provisioning")


SIDECAR_LABEL = "grafana_dashboard"
"""The label the Grafana Helm chart's dashboard sidecar (and grafana-operator setups built on
it) watches: an existing Grafana picks the built-in dashboards up from the ConfigMap."""


def dashboards_config_map_name(stack: str) -> str:
    """The ConfigMap with the built-in dashboards."""
    return object_name(stack, PROGRAM, "dashboards")


def admin_secret(w: Workload, spec: GrafanaSpec) -> Obj:
    """The admin credentials, created once by the operator (no value rendered)."""
    annotations = {CREATE_ONLY_ANNOTATION: "true", RANDOM_KEYS_ANNOTATION: ADMIN_PASSWORD_KEY}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": w.meta(spec.admin_secret_ref.name, annotations),
        "type": "Opaque",
        "stringData": {ADMIN_USER_KEY: ADMIN_USER},
    }


def selected_config_maps(
    spec: GrafanaSpec, config_map_labels: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """Names of the ConfigMaps (name -> labels, in the stack's namespace) holding user dashboards."""
    selector = spec.dashboards.config_map_selector
    return sorted(
        name for name, labels in config_map_labels.items() if selector.matches(dict(labels))
    )


def _secret_env(name: str, secret: str, key: str) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _env(spec: GrafanaSpec) -> list[Obj]:
    admin = spec.admin_secret_ref.name
    plain = {
        "GF_PATHS_DATA": DATA_DIR,
        "GF_PATHS_LOGS": f"{DATA_DIR}/log",
        "GF_PATHS_PLUGINS": f"{DATA_DIR}/plugins",
        "GF_PATHS_PROVISIONING": PROVISIONING_DIR,
        "GF_SERVER_HTTP_PORT": str(GRAFANA_PORT),
        "GF_LOG_MODE": "console",
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
    }
    url = external_url(spec.ingress)
    if url:
        plain["GF_SERVER_ROOT_URL"] = f"{url}/"
        if route_prefix(spec.ingress):
            plain["GF_SERVER_SERVE_FROM_SUB_PATH"] = "true"
    env = [{"name": k, "value": v} for k, v in plain.items()]
    env += [
        _secret_env("GF_SECURITY_ADMIN_USER", admin, ADMIN_USER_KEY),
        _secret_env("GF_SECURITY_ADMIN_PASSWORD", admin, ADMIN_PASSWORD_KEY),
    ]
    db = spec.database
    if db is not None:
        env += [
            {"name": "GF_DATABASE_TYPE", "value": db.type},
            {"name": "GF_DATABASE_HOST", "value": db.host},
            {"name": "GF_DATABASE_NAME", "value": db.name},
            {"name": "GF_DATABASE_USER", "value": db.user},
            _secret_env(
                "GF_DATABASE_PASSWORD",
                db.password.secret_key_ref.name,
                db.password.secret_key_ref.key,
            ),
        ]
        if db.ssl_mode:
            env.append({"name": "GF_DATABASE_SSL_MODE", "value": db.ssl_mode})
    return env


def _volumes(
    stack: str, dashboards: list[DashboardFile], user: list[str]
) -> tuple[list[Obj], list[Obj]]:
    """Volumes and mounts: whole volumes, never subPath (those never see updates)."""
    volumes: list[Obj] = [
        {
            "name": "provisioning",
            "configMap": {
                "name": provisioning_config_map_name(stack),
                "items": [
                    {"key": "datasources.yaml", "path": "datasources/augur.yaml"},
                    {"key": "dashboards.yaml", "path": "dashboards/augur.yaml"},
                ],
            },
        },
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts: list[Obj] = [
        {"name": "provisioning", "mountPath": PROVISIONING_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": DATA_VOLUME, "mountPath": DATA_DIR},
    ]
    if dashboards:
        items = [{"key": d.name, "path": f"{d.directory}/{d.name}"} for d in dashboards]
        volumes.append(
            {
                "name": "dashboards",
                "configMap": {"name": dashboards_config_map_name(stack), "items": items},
            }
        )
        mounts.append({"name": "dashboards", "mountPath": BUILT_IN_DIR, "readOnly": True})
    for index, name in enumerate(user):
        volume = f"user-{index}"
        volumes.append({"name": volume, "configMap": {"name": name, "optional": True}})
        mounts.append({"name": volume, "mountPath": f"{USER_DIR}/{name}", "readOnly": True})
    return volumes, mounts


def _container(spec: GrafanaSpec, mounts: list[Obj]) -> Obj:
    health = f"{route_prefix(spec.ingress)}/api/health"
    return {
        "name": PROGRAM,
        "image": spec.image or versions.GRAFANA_IMAGE,
        "ports": [{"name": GRAFANA_PORT_NAME, "containerPort": GRAFANA_PORT, "protocol": "TCP"}],
        "env": _env(spec),
        "resources": resources(spec.resources, DEFAULT_REQUESTS),
        # The first start migrates the database schema: allow it five minutes.
        "startupProbe": http_probe(health, GRAFANA_PORT_NAME, period=10, failures=30),
        "readinessProbe": http_probe(health, GRAFANA_PORT_NAME, period=10),
        "livenessProbe": http_probe(health, GRAFANA_PORT_NAME, period=20, failures=6),
        "volumeMounts": mounts,
        "securityContext": container_security_context(),
    }


def _config_maps(
    w: Workload, provisioning: dict[str, str], dashboards: list[DashboardFile]
) -> list[Obj]:
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": w.meta(provisioning_config_map_name(w.stack)),
            "data": provisioning,
        }
    ]
    if dashboards:
        meta = w.meta(dashboards_config_map_name(w.stack))
        meta["labels"][SIDECAR_LABEL] = "1"
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": meta,
                "data": {d.name: d.text for d in dashboards},
            }
        )
    return objects


def _files(
    provisioning: dict[str, str], dashboards: list[DashboardFile]
) -> tuple[dict[str, str], list[str]]:
    """The files `augur render` writes, and a warning when the dashboards near 1 MiB."""
    files = {
        DATASOURCES_FILE: provisioning["datasources.yaml"],
        PROVIDERS_FILE: provisioning["dashboards.yaml"],
    }
    files.update({f"{DASHBOARDS_DIR}/{d.name}": d.text for d in dashboards})
    size = sum(len(d.text.encode("utf-8")) for d in dashboards)
    warnings: list[str] = []
    if size > CONFIG_MAP_LIMIT:
        warnings.append(
            f"the built-in dashboards take {size // 1024} KiB, close to the 1 MiB a ConfigMap "
            "holds: the API server may refuse it; select fewer BusinessKPIs into this stack"
        )
    return files, warnings


def render_grafana_component(
    inputs: StackInputs,
    peers: StackEndpoints,
    *,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None = None,
    more_dashboards: Sequence[Dashboard] = (),
) -> ComponentOutput:
    """Grafana's provisioning files, dashboards and objects; nothing when disabled. `peers`
    are the ports of the stack's programs its datasources read; `more_dashboards` are other
    components' (cluster monitoring's), provisioned beside the built-in ones.

    `dashboard_config_maps` are the ConfigMaps of the stack's namespace (name -> labels):
    those `dashboards.configMapSelector` selects are mounted as user dashboards."""
    stack = inputs.stack
    spec = stack.spec.grafana
    if not spec.enabled:
        return ComponentOutput()
    dashboards = built_in_dashboards(inputs) + other_dashboards(more_dashboards)
    user = selected_config_maps(spec, dashboard_config_maps or {})
    provisioning = {
        "datasources.yaml": datasources_text(inputs, peers),
        "dashboards.yaml": providers_text(dashboards, user_dashboards=bool(user)),
    }
    # SQLite on a volume only without an external database (one writer).
    storage = spec.storage if spec.database is None else None
    volumes, mounts = _volumes(stack.name, dashboards, user)
    w = Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=PROGRAM,
        replicas=spec.replicas,
        pod=spec.pod,
        containers=[_container(spec, mounts)],
        volumes=volumes,
        storage=storage,
        termination_grace_seconds=30,
    )
    claims: list[Obj] = []
    if storage is not None:
        claims.append(data_claim(w, storage))
        claim = {
            "name": DATA_VOLUME,
            "persistentVolumeClaim": {"claimName": data_claim_name(stack.name, PROGRAM)},
        }
        w = replace(w, volumes=[*w.volumes, claim])
    hash_annotation = {CONFIG_HASH_ANNOTATION: config_hash(*provisioning.values())}
    manifests = [
        service_account(w),
        admin_secret(w, spec),
        *_config_maps(w, provisioning, dashboards),
        *claims,
        client_service(w, GRAFANA_PORT_NAME, GRAFANA_PORT),
        deployment(w, recreate=storage is not None, template_annotations=hash_annotation),
        *pod_disruption_budget(w),
        *ingress(w, spec.ingress, GRAFANA_PORT_NAME),
    ]
    files, warnings = _files(provisioning, dashboards)
    return ComponentOutput(files=files, manifests=manifests, warnings=warnings)

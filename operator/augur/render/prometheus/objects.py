"""The Kubernetes objects of a stack's Prometheus: StatefulSet, Services, ServiceAccount, the
RBAC of its service discovery, its configuration and the rule shards."""

from __future__ import annotations

import re
from typing import Any

from augur import versions
from augur.render.component_output import ComponentOutput, ScrapeJobs
from augur.render.k8s.endpoints import StackEndpoints
from augur.render.k8s.labels import metadata, object_name
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
    resources,
    route_prefix,
    service_account,
    stateful_set,
)
from augur.render.prometheus.config import (
    CONFIG_DIR,
    CONFIG_FILE,
    CONFIG_KEY,
    DATA_DIR,
    RULES_DIR,
    PrometheusConfig,
    render_prometheus_config,
)
from augur.render.prometheus.credentials import CREDENTIALS_DIR, credentials_secret_name
from augur.render.prometheus.ports import WEB_PORT, WEB_PORT_NAME
from augur.render.prometheus.rule_shards import Shards, shard_rule_files
from augur.render.prometheus.selfmonitoring import render_self_monitoring
from augur.render.selection import StackInputs

Obj = dict[str, Any]

PROGRAM = "prometheus"
DEFAULT_REQUESTS = {"cpu": "500m", "memory": "2Gi"}
AUTO_RELOAD_INTERVAL = "30s"
"""How often Prometheus checks its configuration and rule files for changes."""
TERMINATION_GRACE_SECONDS = 600
"""Time to flush the head block on shutdown."""
DISCOVERY_RULES = [
    {"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]},
    {
        "apiGroups": ["discovery.k8s.io"],
        "resources": ["endpointslices"],
        "verbs": ["get", "list", "watch"],
    },
]
"""What Kubernetes service discovery (pod, service, endpointslice roles) reads."""


def rules_config_map_name(stack: str, shard: int) -> str:
    """Name of one rule shard's ConfigMap."""
    return object_name(stack, PROGRAM, f"rules-{shard}")


def stateful_set_name(stack: str) -> str:
    """Name of the Prometheus StatefulSet."""
    return object_name(stack, PROGRAM)


def mounted_rule_shards(stateful_set: Obj | None) -> int | None:
    """How many rule shards a (live) Prometheus StatefulSet mounts: the count its next render
    keeps unless the rules need another (None: no StatefulSet, or no rule volume)."""
    pod = (((stateful_set or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    count = sum(
        1
        for volume in pod.get("volumes") or []
        if re.fullmatch(r"rules-\d+", str(volume.get("name", "")))
    )
    return count or None


def config_map_name(stack: str) -> str:
    """Name of the ConfigMap holding prometheus.yml."""
    return object_name(stack, PROGRAM, "config")


def _args(inputs: StackInputs) -> list[str]:
    spec = inputs.stack.spec.prometheus
    args = [
        f"--config.file={CONFIG_DIR}/{CONFIG_KEY}",
        # Prometheus 3 always expands $VAR in external labels (the replica label needs it).
        "--enable-feature=auto-reload-config",
        f"--config.auto-reload-interval={AUTO_RELOAD_INTERVAL}",
        f"--storage.tsdb.path={DATA_DIR}",
        f"--storage.tsdb.retention.time={spec.retention}",
    ]
    if spec.retention_size:
        args.append(f"--storage.tsdb.retention.size={spec.retention_size}")
    args.append(f"--web.listen-address=:{WEB_PORT}")
    url = external_url(spec.ingress)
    if url:
        args.append(f"--web.external-url={url}")
    return args


def _volumes(stack: str, rule_shards: int) -> tuple[list[Obj], list[Obj]]:
    """Volumes and the container's mounts: whole volumes, never subPath."""
    volumes: list[Obj] = [
        {"name": "config", "configMap": {"name": config_map_name(stack)}},
        {
            "name": "credentials",
            "secret": {"secretName": credentials_secret_name(stack), "optional": True},
        },
    ]
    mounts: list[Obj] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True},
    ]
    for shard in range(rule_shards):
        name = f"rules-{shard}"
        volumes.append(
            {
                "name": name,
                "configMap": {"name": rules_config_map_name(stack, shard), "optional": True},
            }
        )
        mounts.append({"name": name, "mountPath": f"{RULES_DIR}/shard-{shard}", "readOnly": True})
    mounts.append({"name": DATA_VOLUME, "mountPath": DATA_DIR})
    return volumes, mounts


def _container(inputs: StackInputs, mounts: list[Obj]) -> Obj:
    spec = inputs.stack.spec.prometheus
    prefix = route_prefix(spec.ingress)
    return {
        "name": PROGRAM,
        "image": spec.image or versions.PROMETHEUS_IMAGE,
        "args": _args(inputs),
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "ports": [{"name": WEB_PORT_NAME, "containerPort": WEB_PORT, "protocol": "TCP"}],
        "resources": resources(spec.resources, DEFAULT_REQUESTS),
        # WAL replay after a restart can take minutes: the startup probe allows 15.
        "startupProbe": http_probe(f"{prefix}/-/ready", WEB_PORT_NAME, period=15, failures=60),
        "readinessProbe": http_probe(f"{prefix}/-/ready", WEB_PORT_NAME, period=5),
        "livenessProbe": http_probe(f"{prefix}/-/healthy", WEB_PORT_NAME, period=15, failures=4),
        "volumeMounts": mounts,
        "securityContext": container_security_context(),
    }


def prometheus_workload(inputs: StackInputs, config_text: str, rule_shards: int) -> Workload:
    """The Prometheus StatefulSet's description, mounting `rule_shards` rule shards."""
    stack = inputs.stack
    spec = stack.spec.prometheus
    volumes, mounts = _volumes(stack.name, rule_shards)
    return Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=PROGRAM,
        replicas=spec.replicas,
        pod=spec.pod,
        containers=[_container(inputs, mounts)],
        volumes=volumes,
        storage=spec.storage,
        automount_token=True,  # Kubernetes service discovery calls the API server
        termination_grace_seconds=TERMINATION_GRACE_SECONDS,
        # On the StatefulSet, not the pod template: the configuration reloads without a roll.
        statefulset_annotations={CONFIG_HASH_ANNOTATION: config_hash(config_text)},
    )


def _binding_subject(w: Workload) -> list[Obj]:
    return [{"kind": "ServiceAccount", "name": w.name, "namespace": w.namespace}]


def _cluster_rbac(w: Workload, rules: list[Obj]) -> list[Obj]:
    name = f"augur-{w.namespace}-{w.name}"
    meta = metadata(name, None, w.stack, w.program)
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta,
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta,
            "roleRef": ref,
            "subjects": _binding_subject(w),
        },
    ]


def rbac(w: Workload, config: PrometheusConfig) -> list[Obj]:
    """A Role and RoleBinding in each namespace discovered in; a ClusterRole when some job
    discovers in every namespace, or reads what only a ClusterRole grants (nodes and their
    metrics, the API server's /metrics: `config.cluster_rules`)."""
    if config.cluster_wide:
        return _cluster_rbac(w, DISCOVERY_RULES + config.cluster_rules)
    objects: list[Obj] = []
    if config.cluster_rules:
        objects += _cluster_rbac(w, config.cluster_rules)
    for namespace in sorted(config.namespaces):
        meta = metadata(w.name, namespace, w.stack, w.program)
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": meta,
                "rules": DISCOVERY_RULES,
            }
        )
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": meta,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": w.name,
                },
                "subjects": _binding_subject(w),
            }
        )
    return objects


def config_maps(w: Workload, config_text: str, shards: Shards) -> list[Obj]:
    """prometheus.yml, and every rule shard (empty ones too, so none is left stale)."""
    objects: list[Obj] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": w.meta(config_map_name(w.stack)),
            "data": {CONFIG_KEY: config_text},
        }
    ]
    for shard, data in enumerate(shards.data):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": w.meta(rules_config_map_name(w.stack, shard)),
                "data": dict(sorted(data.items())),
            }
        )
    return objects


def render_prometheus(
    inputs: StackInputs,
    rules: ComponentOutput,
    peers: StackEndpoints,
    *,
    operator_namespace: str | None = None,
    rule_shards: int | None = None,
    more_jobs: ScrapeJobs | None = None,
) -> tuple[ComponentOutput, Shards | None]:
    """prometheus.yml, the self-monitoring rules and every Prometheus object, and the rule
    shards; the rule files of `rules` (the rules renderer's output) go into the shards,
    `rule_shards` of them unless the files need more or far fewer (`shard_count`; None: a
    new stack); `peers` are the ports of the stack's other programs it alerts and scrapes;
    `more_jobs` are other components' scrape jobs (cluster monitoring's). Nothing when
    disabled."""
    stack = inputs.stack
    if not stack.spec.prometheus.enabled:
        return ComponentOutput(), None
    own_rules = render_self_monitoring(stack)
    shards = shard_rule_files({**rules.files, **own_rules}, rule_shards)
    config = render_prometheus_config(
        inputs,
        peers,
        operator_namespace=operator_namespace,
        rule_shards=shards.count,
        more_jobs=more_jobs,
    )
    text = config.text()
    w = prometheus_workload(inputs, text, shards.count)
    manifests = [
        service_account(w),
        *rbac(w, config),
        *config_maps(w, text, shards),
        headless_service(w, [(WEB_PORT_NAME, WEB_PORT, "TCP")]),
        client_service(w, WEB_PORT_NAME, WEB_PORT),
        stateful_set(w),
        *pod_disruption_budget(w),
        *ingress(w, stack.spec.prometheus.ingress, WEB_PORT_NAME),
    ]
    output = ComponentOutput(
        files={CONFIG_FILE: text, **own_rules},
        manifests=manifests,
        secret_keys=config.secret_keys,
        warnings=config.warnings + shards.warnings(),
    )
    return output, shards


def render_prometheus_component(
    inputs: StackInputs,
    rules: ComponentOutput,
    peers: StackEndpoints,
    *,
    operator_namespace: str | None = None,
    rule_shards: int | None = None,
) -> ComponentOutput:
    """`render_prometheus` without the shards."""
    output, _ = render_prometheus(
        inputs, rules, peers, operator_namespace=operator_namespace, rule_shards=rule_shards
    )
    return output

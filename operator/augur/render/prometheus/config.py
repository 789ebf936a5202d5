"""prometheus.yml of a stack: global settings, rule files, Alertmanager peers, scrape jobs and
remote write, with every credential read from a mounted file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augur.api.common import LabelSelector
from augur.api.monitoringstack import RemoteWrite
from augur.render.component_output import ScrapeJobs
from augur.render.k8s.endpoints import StackEndpoints
from augur.render.k8s.labels import scrape_job_name, selector_labels
from augur.render.k8s.workloads import route_prefix
from augur.render.prometheus.credentials import (
    ADDITIONAL_SCRAPE_CONFIGS_KEY,
    CREDENTIALS_DIR,
    CREDENTIALS_KEY_PREFIX,
)
from augur.render.prometheus.ports import WEB_PORT_NAME
from augur.render.prometheus.rule_shards import RULE_SHARDS
from augur.render.prometheus.scrape import (
    component_job,
    port_relabelling,
    scrape_job,
    selector_relabelling,
)
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

Obj = dict[str, Any]

CONFIG_FILE = "prometheus/prometheus.yml"
"""Where `augur render` writes the configuration, relative to the stack's folder."""
CONFIG_KEY = "prometheus.yml"
CONFIG_DIR = "/etc/prometheus/config"
RULES_DIR = "/etc/prometheus/rules"
DATA_DIR = "/prometheus"

REPLICA_LABEL = "prometheus_replica"
"""External label set to the pod's name, dropped from alerts so HA pairs' alerts deduplicate."""


def rule_files(shards: int = RULE_SHARDS) -> list[str]:
    """rule_files, relative to CONFIG_DIR (as Prometheus resolves them): one glob per shard
    volume (Prometheus allows a wildcard only in the last path element)."""
    return [f"../rules/shard-{shard}/*.yaml" for shard in range(shards)]


PROMETHEUS_JOB = scrape_job_name("prometheus")
ALERTMANAGER_JOB = scrape_job_name("alertmanager")
RELOADER_JOB = scrape_job_name("config-reloader")
OPERATOR_JOB = scrape_job_name("operator")
JAEGER_JOB = scrape_job_name("jaeger")
OPERATOR_POD_LABELS = {"app.kubernetes.io/name": "augur"}
"""Labels of the augur operator's pods, as its Helm chart sets them."""
OPERATOR_METRICS_PORT = "metrics"

# Prometheus refuses these in remote_write headers (they are its own to set).
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Authorization",
        "Host",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "User-Agent",
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Www-Authenticate",
        "Accept-Encoding",
        "X-Prometheus-Remote-Write-Version",
        "X-Prometheus-Remote-Read-Version",
    )
)


def discovery_namespaces(inputs: StackInputs) -> list[str] | None:
    """The namespaces the stack's namespaceSelector takes (None: every namespace).

    With matchLabels only the namespaces whose labels are known can be named."""
    stack = inputs.stack
    selector = stack.spec.namespace_selector
    if selector.any:
        return None
    if selector.match_names:
        return sorted(set(selector.match_names))
    if selector.match_labels:
        wanted = LabelSelector(match_labels=selector.match_labels)
        return sorted(
            ns for ns, labels in inputs.namespace_labels.items() if wanted.matches(labels)
        )
    return [stack.namespace]


@dataclass
class PrometheusConfig:
    """prometheus.yml and what it needs around it."""

    config: Obj
    secret_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Keys of the Prometheus credentials Secret: key -> (namespace/Secret, source key)."""
    namespaces: set[str] = field(default_factory=set)
    """Namespaces Prometheus discovers in (a Role in each)."""
    cluster_wide: bool = False
    """Some job discovers in every namespace (a ClusterRole)."""
    cluster_rules: list[Obj] = field(default_factory=list)
    """What some job reads beyond discovery: cluster-scoped resources and non-resource URLs
    (rules of a ClusterRole, whatever the namespaces)."""
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The configuration file's text."""
        return GENERATED_HEADER + dump_yaml(self.config)

    def scoped(self, namespaces: list[str] | None) -> list[str] | None:
        """Record that a job discovers in `namespaces` (None: all) and return them."""
        if namespaces is None:
            self.cluster_wide = True
        else:
            self.namespaces.update(namespaces)
        return namespaces


def _escape_expansion(value: str) -> str:
    # Prometheus 3 expands $VAR in every external label value; $$ is a literal $.
    return value.replace("$", "$$")


def _global(inputs: StackInputs) -> Obj:
    spec = inputs.stack.spec.prometheus
    labels = {k: _escape_expansion(v) for k, v in sorted(spec.external_labels.items())}
    labels[REPLICA_LABEL] = "${POD_NAME}"
    return {
        "scrape_interval": spec.scrape_interval,
        "evaluation_interval": spec.evaluation_interval,
        "external_labels": labels,
    }


def _alerting(inputs: StackInputs, result: PrometheusConfig, peers: StackEndpoints) -> Obj:
    """Every Alertmanager pod individually (never through a load-balanced Service)."""
    stack = inputs.stack
    labels = selector_labels(stack.name, "alertmanager")
    relabel = [
        {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "Running", "action": "keep"},
        *selector_relabelling(LabelSelector(match_labels=labels), "pod"),
        *port_relabelling("pod", peers.alertmanager_web.port_name),
    ]
    alertmanagers: Obj = {
        "api_version": "v2",
        "kubernetes_sd_configs": [
            {"role": "pod", "namespaces": {"names": result.scoped([stack.namespace])}}
        ],
        "relabel_configs": relabel,
    }
    prefix = peers.alertmanager_web.path_prefix
    if prefix:
        alertmanagers = {"path_prefix": prefix, **alertmanagers}
    return {
        "alert_relabel_configs": [{"action": "labeldrop", "regex": REPLICA_LABEL}],
        "alertmanagers": [alertmanagers],
    }


def _own_jobs(
    inputs: StackInputs,
    result: PrometheusConfig,
    operator_namespace: str | None,
    peers: StackEndpoints,
) -> list[Obj]:
    stack = inputs.stack
    own = [stack.namespace]
    prom_prefix = route_prefix(stack.spec.prometheus.ingress)
    jobs = [
        component_job(
            PROMETHEUS_JOB,
            result.scoped(own),
            selector_labels(stack.name, "prometheus"),
            WEB_PORT_NAME,
            f"{prom_prefix}/metrics",
        )
    ]
    if stack.spec.alertmanager.enabled:
        am_prefix = peers.alertmanager_web.path_prefix
        am_labels = selector_labels(stack.name, "alertmanager")
        jobs.append(
            component_job(
                ALERTMANAGER_JOB,
                own,
                am_labels,
                peers.alertmanager_web.port_name,
                f"{am_prefix}/metrics",
            )
        )
        jobs.append(
            component_job(
                RELOADER_JOB, own, am_labels, peers.alertmanager_reloader.port_name, "/metrics"
            )
        )
    if stack.spec.jaeger.enabled:
        jaeger_labels = selector_labels(stack.name, "jaeger")
        jobs.append(
            component_job(
                JAEGER_JOB, own, jaeger_labels, peers.jaeger_metrics.port_name, "/metrics"
            )
        )
    where = [operator_namespace] if operator_namespace else discovery_namespaces(inputs)
    if where is not None:
        where = sorted(set(where) | {stack.namespace})
    jobs.append(
        component_job(
            OPERATOR_JOB,
            result.scoped(where),
            OPERATOR_POD_LABELS,
            OPERATOR_METRICS_PORT,
            "/metrics",
        )
    )
    return jobs


def _user_jobs(inputs: StackInputs, result: PrometheusConfig) -> list[Obj]:
    spec = inputs.stack.spec.prometheus
    default = discovery_namespaces(inputs)
    jobs = []
    for index, target in enumerate(spec.scrape):
        namespaces = sorted(set(target.namespaces)) if target.namespaces else default
        if target.role != "static" and namespaces == []:
            result.warnings.append(
                f"spec.prometheus.scrape[{index}] ({target.name}): no known namespace carries "
                "the namespaceSelector's labels; the job is left out"
            )
            continue
        if target.role != "static":
            result.scoped(namespaces)
        tenancy = inputs.stack.spec.tenancy.enforce_namespace_label
        jobs.append(scrape_job(target, namespaces, spec.scrape_interval, tenancy))
    return jobs


def _remote_write(index: int, target: RemoteWrite, namespace: str, result: PrometheusConfig) -> Obj:
    def credential(part: str, ref: Any) -> str:
        key = f"{CREDENTIALS_KEY_PREFIX}remote-write-{index}.{part}"
        selector = ref.secret_key_ref
        result.secret_keys[key] = (f"{namespace}/{selector.name}", selector.key)
        return f"{CREDENTIALS_DIR}/{key}"

    entry: Obj = {"url": target.url}
    if target.name:
        entry["name"] = target.name
    headers = {}
    for name, value in sorted(target.headers.items()):
        if name.lower() in RESERVED_HEADERS:
            result.warnings.append(
                f"spec.prometheus.remoteWrite[{index}].headers: {name} is set by Prometheus "
                "itself and is left out"
            )
        else:
            headers[name] = value
    if headers:
        entry["headers"] = headers
    if target.basic_auth is not None:
        entry["basic_auth"] = {
            "username_file": credential("username", target.basic_auth.username),
            "password_file": credential("password", target.basic_auth.password),
        }
    if target.bearer_token is not None:
        entry["authorization"] = {
            "type": "Bearer",
            "credentials_file": credential("bearer-token", target.bearer_token),
        }
    return entry


def render_prometheus_config(
    inputs: StackInputs,
    peers: StackEndpoints,
    *,
    operator_namespace: str | None = None,
    rule_shards: int = RULE_SHARDS,
    more_jobs: ScrapeJobs | None = None,
) -> PrometheusConfig:
    """prometheus.yml of the stack, with the credentials and namespaces it needs; `peers`
    are the ports of the stack's other programs (Alertmanager's, the reloader's, Jaeger's);
    `rule_shards` is how many rule shard volumes it reads rule files from; `more_jobs` are
    the jobs of other components (cluster monitoring's), appended after the stack's own.

    `operator_namespace` is where the augur operator runs; unset, its pods are looked for
    in the namespaces the stack discovers in."""
    stack = inputs.stack
    spec = stack.spec.prometheus
    result = PrometheusConfig(config={})
    config: Obj = {"global": _global(inputs), "rule_files": rule_files(rule_shards)}
    if stack.spec.alertmanager.enabled:
        config["alerting"] = _alerting(inputs, result, peers)
    if spec.additional_scrape_configs is not None:
        selector = spec.additional_scrape_configs.secret_key_ref
        result.secret_keys[ADDITIONAL_SCRAPE_CONFIGS_KEY] = (
            f"{stack.namespace}/{selector.name}",
            selector.key,
        )
        config["scrape_config_files"] = [f"{CREDENTIALS_DIR}/{ADDITIONAL_SCRAPE_CONFIGS_KEY}"]
    config["scrape_configs"] = _own_jobs(inputs, result, operator_namespace, peers) + _user_jobs(
        inputs, result
    )
    if more_jobs is not None and more_jobs.jobs:
        config["scrape_configs"] += [dict(job) for job in more_jobs.jobs]
        result.scoped(sorted(more_jobs.namespaces))
        result.cluster_rules = [dict(rule) for rule in more_jobs.cluster_rules]
    if spec.remote_write:
        config["remote_write"] = [
            _remote_write(i, target, stack.namespace, result)
            for i, target in enumerate(spec.remote_write)
        ]
    result.config = config
    return result

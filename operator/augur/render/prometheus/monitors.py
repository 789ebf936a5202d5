"""Scrape jobs of prometheus-operator's ServiceMonitors and PodMonitors, as prometheus-operator
v0.85.0 generates them (pkg/prometheus/promcfg.go: `generateServiceMonitorConfig`,
`generatePodMonitorConfig`, `generateK8SSDConfig`, `addTLStoYaml`, `addSafeTLStoYaml`,
`addBasicAuthToYaml`, `addAuthorizationToYaml`, `addProxyConfigtoYaml`, `generateRelabelConfig`,
namespacelabeler `GetRelabelingConfigs`): one job per endpoint, named
`serviceMonitor/<namespace>/<name>/<i>` or `podMonitor/<namespace>/<name>/<i>`, with the same
discovery and relabelling.

Where augur differs, on purpose:

- Services are discovered with the `endpointslice` role (prometheus-operator's
  `serviceDiscoveryRole: EndpointSlice`).
- Secrets are files of the stack's credentials Secret (`*_file`), never values written into
  prometheus.yml; a Secret of another namespace is copied only with that namespace's consent.
- There is one Prometheus, not shards: no `hashmod` sharding rules.
- Under the stack's tenancy (an object from another namespace), the monitor's own
  namespaceSelector is ignored (its namespace only), honorLabels is false, and the enforced
  label is set to the monitor's namespace after its relabelings and metricRelabelings, as
  prometheus-operator's `enforcedNamespaceLabel` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from augur.api.common import LabelSelector
from augur.api.promoperator_monitors import (
    AnyMonitor,
    BasicAuth,
    Endpoint,
    PodMetricsEndpoint,
    PodMonitor,
    SafeAuthorization,
    SafeTLSConfig,
    SecretKeySelector,
    ServiceMonitor,
    TLSConfig,
)
from augur.render.prometheus.credentials import SecretFiles, scrape_credential_key
from augur.render.prometheus.scrape import meta_label_name, scrape_limits

Obj = dict[str, Any]

_META = "__meta_kubernetes_"
ROLE_ENDPOINTSLICE = "endpointslice"


@dataclass(frozen=True)
class MonitorContext:
    """What the stack decides about one monitor: where it discovers, whether tenancy holds
    it, and where its Secrets' files go."""

    namespaces: list[str] | None
    """Namespaces discovered in (None: every namespace)."""
    enforced_label: str | None
    """The label the stack's tenancy sets to the monitor's namespace (None: no tenancy)."""
    files: SecretFiles


def monitor_namespaces(monitor: AnyMonitor, tenancy: bool) -> list[str] | None:
    """Where the monitor's targets are discovered (`getNamespacesFromNamespaceSelector`):
    `any` is every namespace (None), `matchNames` those, else the monitor's own. Under
    tenancy always the monitor's own (`ignoreNamespaceSelectors`)."""
    selector = monitor.spec.namespace_selector
    if tenancy or (not selector.any and not selector.match_names):
        return [monitor.namespace]
    if selector.any:
        return None
    return list(selector.match_names)


def _sd_config(
    role: str, monitor: AnyMonitor, namespaces: list[str] | None, selector_roles: list[str]
) -> Obj:
    """`generateK8SSDConfig`; with `selectorMechanism: RoleSelector` the selector is the
    discovery's (`generateRoleSelectorConfig`) instead of keep rules."""
    sd: Obj = {"role": role}
    if namespaces is not None:
        sd["namespaces"] = {"names": list(namespaces)}
    attach = monitor.spec.attach_metadata
    if attach is not None:
        sd["attach_metadata"] = {"node": bool(attach.node)}
    if _role_selector(monitor):
        label = selector_string(monitor.spec.selector)
        sd["selectors"] = [{"role": r, "label": label} for r in selector_roles]
    return sd


def _role_selector(monitor: AnyMonitor) -> bool:
    return monitor.spec.selector_mechanism == "RoleSelector"


def selector_string(selector: LabelSelector) -> str:
    """A label selector as Kubernetes writes it (`metav1.LabelSelectorAsSelector(...).String()`):
    requirements by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`."""
    parts: list[tuple[str, str]] = [
        (key, f"{key}={value}") for key, value in selector.match_labels.items()
    ]
    for req in selector.match_expressions:
        values = ",".join(sorted(set(req.values)))
        text = {
            "In": f"{req.key} in ({values})",
            "NotIn": f"{req.key} notin ({values})",
            "Exists": req.key,
            "DoesNotExist": f"!{req.key}",
        }[req.operator]
        parts.append((req.key, text))
    return ",".join(text for _, text in sorted(parts, key=lambda part: part[0]))


def _selector_relabelling(selector: LabelSelector, obj: str) -> list[Obj]:
    """prometheus-operator's keep/drop rules for a label selector on `obj`'s labels."""
    rules: list[Obj] = []

    def sources(key: str) -> list[str]:
        name = meta_label_name(key)
        return [f"{_META}{obj}_label_{name}", f"{_META}{obj}_labelpresent_{name}"]

    for key in sorted(selector.match_labels):
        rules.append(
            {
                "action": "keep",
                "source_labels": sources(key),
                "regex": f"({selector.match_labels[key]});true",
            }
        )
    for req in selector.match_expressions:
        if req.operator in ("In", "NotIn"):
            rules.append(
                {
                    "action": "keep" if req.operator == "In" else "drop",
                    "source_labels": sources(req.key),
                    "regex": f"({'|'.join(req.values)});true",
                }
            )
        else:
            rules.append(
                {
                    "action": "keep" if req.operator == "Exists" else "drop",
                    "source_labels": sources(req.key)[1:],
                    "regex": "true",
                }
            )
    return rules


def _copy(meta: str, target: str) -> Obj:
    return {"source_labels": [f"{_META}{meta}"], "target_label": target}


def _labels_from(obj: str, names: list[str]) -> list[Obj]:
    return [
        {
            "source_labels": [f"{_META}{obj}_label_{meta_label_name(name)}"],
            "target_label": meta_label_name(name),
            "regex": "(.+)",
            "replacement": "${1}",
        }
        for name in names
    ]


_RUNNING = {
    "action": "drop",
    "source_labels": [f"{_META}pod_phase"],
    "regex": "(Failed|Succeeded)",
}
_JOB_NAME = {"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}


def _enforced(label: str | None, namespace: str) -> list[Obj]:
    """namespacelabeler's rule: the enforced label set to the monitor's namespace, last."""
    return [] if label is None else [{"target_label": label, "replacement": namespace}]


def _target_port(endpoint: Endpoint | PodMetricsEndpoint) -> list[Obj]:
    port = endpoint.target_port
    if port is None or port == "" or port == 0:
        return []
    by = "name" if isinstance(port, str) else "number"
    regex: Any = port
    return [
        {"action": "keep", "source_labels": [f"{_META}pod_container_port_{by}"], "regex": regex}
    ]


def _endpoint_label(endpoint: Endpoint | PodMetricsEndpoint) -> list[Obj]:
    if endpoint.port_name:
        return [{"target_label": "endpoint", "replacement": endpoint.port_name}]
    if endpoint.target_port not in (None, "", 0):
        return [{"target_label": "endpoint", "replacement": str(endpoint.target_port)}]
    return []


def service_monitor_relabelling(
    monitor: ServiceMonitor, endpoint: Endpoint, enforced_label: str | None
) -> list[Obj]:
    """relabel_configs of one ServiceMonitor endpoint (`generateServiceMonitorConfig`)."""
    spec = monitor.spec
    rules = [dict(_JOB_NAME)]
    if not _role_selector(monitor):
        rules += _selector_relabelling(spec.selector, "service")
    if endpoint.port:
        rules.append(
            {
                "action": "keep",
                "source_labels": [f"{_META}endpointslice_port_name"],
                "regex": endpoint.port,
            }
        )
    else:
        rules += _target_port(endpoint)
    target = [
        f"{_META}endpointslice_address_target_kind",
        f"{_META}endpointslice_address_target_name",
    ]
    for kind, label in (("Node", "node"), ("Pod", "pod")):
        rules.append(
            {
                "source_labels": list(target),
                "separator": ";",
                "regex": f"{kind};(.*)",
                "replacement": "${1}",
                "target_label": label,
            }
        )
    rules += [
        _copy("namespace", "namespace"),
        _copy("service_name", "service"),
        _copy("pod_name", "pod"),
        _copy("pod_container_name", "container"),
    ]
    if endpoint.filter_running is None or endpoint.filter_running:
        rules.append(dict(_RUNNING))
    rules += _labels_from("service", spec.target_labels)
    rules += _labels_from("pod", spec.pod_target_labels)
    rules.append(
        {
            "source_labels": [f"{_META}service_name"],
            "target_label": "job",
            "replacement": "${1}",
        }
    )
    if spec.job_label:
        rules += [{**r, "target_label": "job"} for r in _labels_from("service", [spec.job_label])]
    rules += _endpoint_label(endpoint)
    rules += [r.to_prometheus() for r in endpoint.relabelings]
    return rules + _enforced(enforced_label, monitor.namespace)


def pod_monitor_relabelling(
    monitor: PodMonitor, endpoint: PodMetricsEndpoint, enforced_label: str | None
) -> list[Obj]:
    """relabel_configs of one PodMonitor endpoint (`generatePodMonitorConfig`)."""
    spec = monitor.spec
    rules: list[Obj] = [dict(_JOB_NAME)]
    if endpoint.filter_running is None or endpoint.filter_running:
        rules.append(dict(_RUNNING))
    if not _role_selector(monitor):
        rules += _selector_relabelling(spec.selector, "pod")
    if endpoint.port:
        rules.append(
            {
                "action": "keep",
                "source_labels": [f"{_META}pod_container_port_name"],
                "regex": endpoint.port,
            }
        )
    elif endpoint.port_number:
        by_number: Obj = {
            "action": "keep",
            "source_labels": [f"{_META}pod_container_port_number"],
            "regex": endpoint.port_number,
        }
        rules.append(by_number)
    else:
        rules += _target_port(endpoint)
    rules += [
        _copy("namespace", "namespace"),
        _copy("pod_container_name", "container"),
        _copy("pod_name", "pod"),
    ]
    rules += _labels_from("pod", spec.pod_target_labels)
    rules.append({"target_label": "job", "replacement": f"{monitor.namespace}/{monitor.name}"})
    if spec.job_label:
        rules += [{**r, "target_label": "job"} for r in _labels_from("pod", [spec.job_label])]
    rules += _endpoint_label(endpoint)
    rules += [r.to_prometheus() for r in endpoint.relabelings]
    return rules + _enforced(enforced_label, monitor.namespace)


class _Secrets:
    """The files of one endpoint's Secrets (in the monitor's namespace)."""

    def __init__(self, monitor: AnyMonitor, index: int, files: SecretFiles) -> None:
        self.monitor = monitor
        self.owner = f"{monitor.kind_name.lower()}.{monitor.namespace}.{monitor.name}.{index}"
        self.files = files

    def file(self, part: str, selector: SecretKeySelector) -> str:
        key = scrape_credential_key(self.owner, part)
        monitor = self.monitor
        return self.files.file(
            key, monitor.namespace, selector.name, selector.key, user=monitor.source
        )


def _tls(tls: SafeTLSConfig, secrets: _Secrets) -> Obj:
    """`addSafeTLStoYaml` / `addTLStoYaml`, the material as files."""
    config: Obj = {}
    if tls.insecure_skip_verify is not None:
        config["insecure_skip_verify"] = tls.insecure_skip_verify
    if tls.ca.secret is not None:
        config["ca_file"] = secrets.file("ca", tls.ca.secret)
    if tls.cert.secret is not None:
        config["cert_file"] = secrets.file("cert", tls.cert.secret)
    if tls.key_secret is not None:
        config["key_file"] = secrets.file("key", tls.key_secret)
    if tls.server_name:
        config["server_name"] = tls.server_name
    if tls.min_version is not None:
        config["min_version"] = tls.min_version
    if tls.max_version is not None:
        config["max_version"] = tls.max_version
    if isinstance(tls, TLSConfig):
        for name, value in (
            ("ca_file", tls.ca_file),
            ("cert_file", tls.cert_file),
            ("key_file", tls.key_file),
        ):
            if value:
                config[name] = value
    return config


def _basic_auth(auth: BasicAuth, secrets: _Secrets) -> Obj:
    return {
        "username_file": secrets.file("username", auth.username),
        "password_file": secrets.file("password", auth.password),
    }


def _authorization(auth: SafeAuthorization, secrets: _Secrets) -> Obj:
    config: Obj = {"type": auth.type.strip() or "Bearer"}
    if auth.credentials is not None:
        config["credentials_file"] = secrets.file("credentials", auth.credentials)
    return config


def _http(endpoint: Endpoint | PodMetricsEndpoint) -> Obj:
    """The endpoint's path, parameters, scheme, redirects, HTTP/2 and proxy."""
    config: Obj = {}
    if endpoint.interval:
        config["scrape_interval"] = endpoint.interval
    if endpoint.scrape_timeout:
        config["scrape_timeout"] = endpoint.scrape_timeout
    if endpoint.path:
        config["metrics_path"] = endpoint.path
    if endpoint.params is not None:
        config["params"] = {k: list(v) for k, v in sorted(endpoint.params.items())}
    if endpoint.scheme:
        config["scheme"] = endpoint.scheme
    if endpoint.follow_redirects is not None:
        config["follow_redirects"] = endpoint.follow_redirects
    if endpoint.enable_http2 is not None:
        config["enable_http2"] = endpoint.enable_http2
    if endpoint.proxy_url is not None:
        config["proxy_url"] = endpoint.proxy_url
    if endpoint.no_proxy is not None:
        config["no_proxy"] = endpoint.no_proxy
    if endpoint.proxy_from_environment is not None:
        config["proxy_from_environment"] = endpoint.proxy_from_environment
    return config


def _head(job: str, endpoint: Endpoint | PodMetricsEndpoint, enforced_label: str | None) -> Obj:
    head: Obj = {"job_name": job}
    # prometheus-operator's overrideHonorLabels: under tenancy a target may not set its labels
    head["honor_labels"] = endpoint.honor_labels and enforced_label is None
    if endpoint.honor_timestamps is not None:
        head["honor_timestamps"] = endpoint.honor_timestamps
    if endpoint.track_timestamps_staleness is not None:
        head["track_timestamps_staleness"] = endpoint.track_timestamps_staleness
    return head


def _tail(
    monitor: AnyMonitor, endpoint: Endpoint | PodMetricsEndpoint, enforced: str | None
) -> Obj:
    spec = monitor.spec
    tail = scrape_limits(
        sample_limit=spec.sample_limit,
        target_limit=spec.target_limit,
        label_limit=spec.label_limit,
        label_name_length_limit=spec.label_name_length_limit,
        label_value_length_limit=spec.label_value_length_limit,
    )
    if spec.keep_dropped_targets is not None:
        tail["keep_dropped_targets"] = spec.keep_dropped_targets
    tail.update(_native_histograms(monitor))
    if spec.scrape_protocols:
        tail["scrape_protocols"] = list(spec.scrape_protocols)
    if spec.fallback_scrape_protocol is not None:
        tail["fallback_scrape_protocol"] = spec.fallback_scrape_protocol
    if spec.body_size_limit:
        tail["body_size_limit"] = spec.body_size_limit
    metric = [r.to_prometheus() for r in endpoint.metric_relabelings]
    metric += _enforced(enforced, monitor.namespace)
    if metric:
        tail["metric_relabel_configs"] = metric
    return tail


def _native_histograms(monitor: AnyMonitor) -> Obj:
    """`addNativeHistogramConfig` for Prometheus 3."""
    spec = monitor.spec
    config: Obj = {}
    if spec.native_histogram_bucket_limit is not None:
        config["native_histogram_bucket_limit"] = spec.native_histogram_bucket_limit
    factor = spec.native_histogram_min_bucket_factor
    if factor is not None:
        value = float(factor[:-1]) / 1000 if factor.endswith("m") else float(factor)
        config["native_histogram_min_bucket_factor"] = value
    if spec.scrape_classic_histograms is not None:
        config["always_scrape_classic_histograms"] = spec.scrape_classic_histograms
    if spec.convert_classic_histograms_to_nhcb is not None:
        config["convert_classic_histograms_to_nhcb"] = spec.convert_classic_histograms_to_nhcb
    return config


def _auth(
    endpoint: Endpoint | PodMetricsEndpoint, secrets: _Secrets, token_file: str | None = None
) -> Obj:
    """An endpoint's TLS and authentication, its Secrets as files (`token_file`: a
    ServiceMonitor's own bearerTokenFile, overridden by a bearer token Secret)."""
    auth: Obj = {}
    if endpoint.tls_config is not None:
        auth["tls_config"] = _tls(endpoint.tls_config, secrets)
    if token_file:
        auth["bearer_token_file"] = token_file
    if endpoint.bearer_secret is not None:
        auth["bearer_token_file"] = secrets.file("bearer-token", endpoint.bearer_secret)
    if endpoint.basic_auth is not None:
        auth["basic_auth"] = _basic_auth(endpoint.basic_auth, secrets)
    if endpoint.authorization is not None:
        auth["authorization"] = _authorization(endpoint.authorization, secrets)
    return auth


def service_monitor_jobs(monitor: ServiceMonitor, context: MonitorContext) -> list[Obj]:
    """One scrape job per endpoint of a ServiceMonitor."""
    jobs = []
    for index, endpoint in enumerate(monitor.spec.endpoints):
        secrets = _Secrets(monitor, index, context.files)
        label = context.enforced_label
        job = _head(f"serviceMonitor/{monitor.key}/{index}", endpoint, label)
        roles = [ROLE_ENDPOINTSLICE, "service"]
        sd = _sd_config(ROLE_ENDPOINTSLICE, monitor, context.namespaces, roles)
        job["kubernetes_sd_configs"] = [sd]
        job.update(_http(endpoint))
        job.update(_auth(endpoint, secrets, endpoint.bearer_token_file))
        job["relabel_configs"] = service_monitor_relabelling(monitor, endpoint, label)
        job.update(_tail(monitor, endpoint, label))
        jobs.append(job)
    return jobs


def pod_monitor_jobs(monitor: PodMonitor, context: MonitorContext) -> list[Obj]:
    """One scrape job per podMetricsEndpoint of a PodMonitor."""
    jobs = []
    for index, endpoint in enumerate(monitor.spec.pod_metrics_endpoints):
        secrets = _Secrets(monitor, index, context.files)
        label = context.enforced_label
        job = _head(f"podMonitor/{monitor.key}/{index}", endpoint, label)
        job["kubernetes_sd_configs"] = [_sd_config("pod", monitor, context.namespaces, ["pod"])]
        job.update(_http(endpoint))
        job.update(_auth(endpoint, secrets))
        job["relabel_configs"] = pod_monitor_relabelling(monitor, endpoint, label)
        job.update(_tail(monitor, endpoint, label))
        jobs.append(job)
    return jobs

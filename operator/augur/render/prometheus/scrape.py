"""Scrape jobs of prometheus.yml: one per `scrape` entry, and the stack's own components.

Kubernetes targets are discovered per namespace and kept by relabelling on the selector's
labels and the port; `endpoints` uses `endpointslice` discovery. Every job writes the same
target labels (namespace, pod, container, service), so rules and dashboards can rely on them.
"""

from __future__ import annotations

import re
from typing import Any

from augur.api.common import LabelSelector, SecretRef, duration_seconds
from augur.api.monitoringstack import ScrapeTarget
from augur.render.prometheus.credentials import SecretFiles, scrape_credential_key

Obj = dict[str, Any]

_META = "__meta_kubernetes_"
_SD_ROLE = {"pod": "pod", "service": "service", "endpoints": "endpointslice"}
_OBJECT = {"pod": "pod", "service": "service", "endpoints": "service"}
"""Whose labels the selector matches: a pod's, or the Service's."""
_PORT_NAME = {
    "pod": "pod_container_port_name",
    "service": "service_port_name",
    "endpoints": "endpointslice_port_name",
}
_PORT_NUMBER = {
    "pod": "pod_container_port_number",
    "service": "service_port_number",
    "endpoints": "endpointslice_port",
}
_REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def regex_literal(value: str) -> str:
    """`value` as an RE2 pattern matching exactly it."""
    return _REGEX_SPECIAL.sub(r"\\\1", value)


def meta_label_name(key: str) -> str:
    """A Kubernetes label key as Prometheus spells it in meta labels (`app.kubernetes.io/name`
    is `app_kubernetes_io_name`)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", key)


def selector_relabelling(selector: LabelSelector, obj: str) -> list[Obj]:
    """keep/drop rules equivalent to a label selector on the labels of `obj` (pod/service)."""
    rules: list[Obj] = []

    def present_and_value(key: str) -> list[str]:
        name = meta_label_name(key)
        return [f"{_META}{obj}_labelpresent_{name}", f"{_META}{obj}_label_{name}"]

    for key, value in sorted(selector.match_labels.items()):
        rules.append(
            {
                "source_labels": present_and_value(key),
                "regex": f"true;{regex_literal(value)}",
                "action": "keep",
            }
        )
    for req in selector.match_expressions:
        sources = present_and_value(req.key)
        values = "|".join(regex_literal(v) for v in req.values)
        if req.operator in ("In", "NotIn"):
            action = "keep" if req.operator == "In" else "drop"
            rules.append({"source_labels": sources, "regex": f"true;({values})", "action": action})
        else:
            action = "keep" if req.operator == "Exists" else "drop"
            rules.append({"source_labels": sources[:1], "regex": "true", "action": action})
    return rules


def port_relabelling(role: str, port: str | None) -> list[Obj]:
    """Keep only the named (or numbered) port; unset keeps every declared port."""
    if port is None:
        return []
    label = _PORT_NUMBER[role] if port.isdigit() else _PORT_NAME[role]
    return [{"source_labels": [f"{_META}{label}"], "regex": regex_literal(port), "action": "keep"}]


def _copy(meta: str, target: str) -> Obj:
    return {"source_labels": [f"{_META}{meta}"], "target_label": target}


def _target_labels(role: str) -> list[Obj]:
    copy = _copy
    rules = [copy("namespace", "namespace")]
    if role in ("pod", "endpoints"):
        rules += [copy("pod_name", "pod"), copy("pod_container_name", "container")]
    if role in ("service", "endpoints"):
        rules.append(copy("service_name", "service"))
    return rules


def _pod_hygiene(role: str) -> list[Obj]:
    if role == "pod":
        return [
            {"source_labels": [f"{_META}pod_container_init"], "regex": "true", "action": "drop"},
            {"source_labels": [f"{_META}pod_phase"], "regex": "Succeeded|Failed", "action": "drop"},
        ]
    if role == "endpoints":
        # Endpoints of terminating or not-ready pods are not worth scraping.
        return [
            {
                "source_labels": [f"{_META}endpointslice_endpoint_conditions_ready"],
                "regex": "false",
                "action": "drop",
            }
        ]
    return []


def tenancy_relabelling(tenancy_label: str | None, after_user_rules: bool) -> list[Obj]:
    """The enforced label set to the target's namespace: the last rule, so no rule of the
    user's can change it. As a target label it also wins over one a target exports (which
    becomes exported_<label>), so no pod can put its series into another tenant's view."""
    if tenancy_label is None or (tenancy_label == "namespace" and not after_user_rules):
        return []  # the namespace label is set already, and nothing came after it
    return [_copy("namespace", tenancy_label)]


def kubernetes_job(
    job: str,
    role: str,
    namespaces: list[str] | None,
    selector: LabelSelector,
    port: str | None,
    tenancy_label: str | None = None,
    user_relabelling: list[Obj] | None = None,
) -> Obj:
    """A Kubernetes-discovered job (no intervals or path yet); namespaces None: all. The
    user's relabelling follows augur's; under tenancy the targets' enforced label is set to
    their namespace after it."""
    sd: Obj = {"role": _SD_ROLE[role]}
    if namespaces is not None:
        sd["namespaces"] = {"names": list(namespaces)}
    user = list(user_relabelling or [])
    relabel = _pod_hygiene(role) + selector_relabelling(selector, _OBJECT[role])
    relabel += port_relabelling(role, port) + _target_labels(role) + user
    relabel += tenancy_relabelling(tenancy_label, bool(user))
    return {"job_name": job, "kubernetes_sd_configs": [sd], "relabel_configs": relabel}


def _timing(target: ScrapeTarget, default_interval: str) -> tuple[str | None, str | None]:
    """scrape_interval and scrape_timeout; a timeout is never longer than its interval."""
    interval = target.interval
    timeout = target.timeout
    if timeout is not None:
        effective = interval or default_interval
        if duration_seconds(timeout) > duration_seconds(effective):
            timeout = effective
    return interval, timeout


def scrape_job(
    target: ScrapeTarget,
    namespaces: list[str] | None,
    default_interval: str,
    tenancy_label: str | None = None,
    files: SecretFiles | None = None,
    stack_namespace: str = "",
) -> Obj:
    """The job of one `scrape` entry (`tenancy_label`: the stack's enforced label); the
    secrets it names are read from `files`, copied from the Secrets of `stack_namespace`."""
    user = [rule.to_prometheus() for rule in target.relabelings]
    if target.role == "static":
        job: Obj = {"job_name": target.name, "static_configs": [{"targets": list(target.static)}]}
        if user:
            job["relabel_configs"] = user
    else:
        job = kubernetes_job(
            target.name,
            target.role,
            namespaces,
            target.selector,
            target.port,
            tenancy_label,
            user,
        )
    interval, timeout = _timing(target, default_interval)
    head: Obj = {"job_name": target.name}
    if target.honor_labels:
        head["honor_labels"] = True
    if target.honor_timestamps is not None:
        head["honor_timestamps"] = target.honor_timestamps
    if interval is not None:
        head["scrape_interval"] = interval
    if timeout is not None:
        head["scrape_timeout"] = timeout
    head["metrics_path"] = target.path
    head["scheme"] = target.scheme
    if target.params:
        head["params"] = {name: list(values) for name, values in sorted(target.params.items())}
    head.update(_client(target, files if files is not None else SecretFiles(), stack_namespace))
    tail: Obj = {}
    if target.metric_relabelings:
        tail["metric_relabel_configs"] = [r.to_prometheus() for r in target.metric_relabelings]
    tail.update(
        scrape_limits(
            sample_limit=target.sample_limit,
            target_limit=target.target_limit,
            label_limit=target.label_limit,
            label_name_length_limit=target.label_name_length_limit,
            label_value_length_limit=target.label_value_length_limit,
        )
    )
    if target.scrape_protocols:
        tail["scrape_protocols"] = list(target.scrape_protocols)
    return {**head, **job, **tail}


def scrape_limits(**limits: int | None) -> Obj:
    """The limits set (a 0 is no limit, as unset)."""
    return {name: value for name, value in limits.items() if value}


def _client(target: ScrapeTarget, files: SecretFiles, namespace: str) -> Obj:
    """TLS and authentication of a `scrape` entry, every secret a file."""
    owner = f"scrape.{target.name}"

    def secret(part: str, ref: SecretRef) -> str:
        selector = ref.secret_key_ref
        return files.file(
            scrape_credential_key(owner, part), namespace, selector.name, selector.key
        )

    client: Obj = {}
    tls = target.tls_config
    if tls is not None:
        tls_config: Obj = {}
        if tls.ca is not None:
            tls_config["ca_file"] = secret("ca", tls.ca)
        if tls.cert is not None and tls.key is not None:
            tls_config["cert_file"] = secret("cert", tls.cert)
            tls_config["key_file"] = secret("key", tls.key)
        if tls.server_name:
            tls_config["server_name"] = tls.server_name
        if tls.insecure_skip_verify:
            tls_config["insecure_skip_verify"] = True
        if tls.min_version is not None:
            tls_config["min_version"] = tls.min_version
        client["tls_config"] = tls_config
    if target.basic_auth is not None:
        client["basic_auth"] = {
            "username_file": secret("username", target.basic_auth.username),
            "password_file": secret("password", target.basic_auth.password),
        }
    if target.authorization is not None:
        client["authorization"] = {
            "type": target.authorization.type,
            "credentials_file": secret("credentials", target.authorization.credentials),
        }
    if target.oauth2 is not None:
        oauth2: Obj = {
            "client_id": target.oauth2.client_id,
            "client_secret_file": secret("client-secret", target.oauth2.client_secret),
            "token_url": target.oauth2.token_url,
        }
        if target.oauth2.scopes:
            oauth2["scopes"] = list(target.oauth2.scopes)
        if target.oauth2.endpoint_params:
            oauth2["endpoint_params"] = dict(sorted(target.oauth2.endpoint_params.items()))
        client["oauth2"] = oauth2
    return client


def component_job(
    job: str, namespaces: list[str] | None, labels: dict[str, str], port: str, path: str
) -> Obj:
    """A job scraping pods of one of the stack's own programs (or the operator)."""
    body = kubernetes_job(job, "pod", namespaces, LabelSelector(match_labels=labels), port)
    return {"job_name": job, "metrics_path": path, **body}

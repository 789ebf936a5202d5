"""Scrape jobs of prometheus.yml: one per `scrape` entry, and the stack's own components.

Kubernetes targets are discovered per namespace and kept by relabelling on the selector's
labels and the port; `endpoints` uses `endpointslice` discovery. Every job writes the same
target labels (namespace, pod, container, service), so rules and dashboards can rely on them.
"""

from __future__ import annotations

import re
from typing import Any

from augur.api.common import LabelSelector, duration_seconds
from augur.api.monitoringstack import ScrapeTarget

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


def _target_labels(role: str, tenancy_label: str | None = None) -> list[Obj]:
    def copy(meta: str, target: str) -> Obj:
        return {"source_labels": [f"{_META}{meta}"], "target_label": target}

    rules = [copy("namespace", "namespace")]
    if tenancy_label not in (None, "namespace"):
        # The label tenants' rules are restricted by is the target's namespace too: as a
        # target label it wins over one a tenant's pods export (which becomes exported_<label>),
        # so no pod can put its series into another tenant's view.
        rules.append(copy("namespace", str(tenancy_label)))
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


def kubernetes_job(
    job: str,
    role: str,
    namespaces: list[str] | None,
    selector: LabelSelector,
    port: str | None,
    tenancy_label: str | None = None,
) -> Obj:
    """A Kubernetes-discovered job (no intervals or path yet); namespaces None: all. Under
    tenancy its targets also carry the enforced label, set to their namespace."""
    sd: Obj = {"role": _SD_ROLE[role]}
    if namespaces is not None:
        sd["namespaces"] = {"names": list(namespaces)}
    relabel = _pod_hygiene(role) + selector_relabelling(selector, _OBJECT[role])
    relabel += port_relabelling(role, port) + _target_labels(role, tenancy_label)
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
) -> Obj:
    """The job of one `scrape` entry (`tenancy_label`: the stack's enforced label)."""
    if target.role == "static":
        job: Obj = {"job_name": target.name, "static_configs": [{"targets": list(target.static)}]}
    else:
        job = kubernetes_job(
            target.name, target.role, namespaces, target.selector, target.port, tenancy_label
        )
    interval, timeout = _timing(target, default_interval)
    head: Obj = {"job_name": target.name}
    if interval is not None:
        head["scrape_interval"] = interval
    if timeout is not None:
        head["scrape_timeout"] = timeout
    head["metrics_path"] = target.path
    head["scheme"] = target.scheme
    return {**head, **job}


def component_job(
    job: str, namespaces: list[str] | None, labels: dict[str, str], port: str, path: str
) -> Obj:
    """A job scraping pods of one of the stack's own programs (or the operator)."""
    body = kubernetes_job(job, "pod", namespaces, LabelSelector(match_labels=labels), port)
    return {"job_name": job, "metrics_path": path, **body}

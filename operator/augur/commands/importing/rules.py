"""prometheus-operator PrometheusRules as AlertPolicies (pure: documents in, bodies and notes out).

How an imported alert keeps its identity: its `alertname`, expression, `for`,
`keep_firing_for`, labels and annotations are the rule's own; augur adds `namespace` (the
policy's namespace), `augur_policy` (the policy's name) and needs `severity` to be one of its
severities. A series' own `namespace` becomes `exported_namespace` in the alert when the stack
has no tenancy (`render/rules/alerts.py:keep_series_namespace`); under tenancy every series
already carries the policy's namespace. Alert names are unique in an AlertPolicy, so a
PrometheusRule that defines one alert name several times (a warning and a critical
`NodeFilesystemSpaceFillingUp`) becomes several policies: `<name>`, `<name>-2`, … each holding
one of each. Recording rules go to the first policy's `spec.records`, in their order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError

from augur.api.alertpolicy import Alert, Record
from augur.api.common import API_VERSION, RESERVED_LABELS, Severity
from augur.api.names import RULE_FILE_EXTRA, RULE_FILE_KEY_MAX
from augur.api.resources import problems_from
from augur.commands.importing.notes import Note, changed, dropped, error
from augur.commands.importing.series_labels import may_carry_label

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
IMPORTED_FROM = "augur.dev/imported-from"
"""Annotation of an imported AlertPolicy: the object it was converted from."""

SEVERITIES: tuple[str, ...] = get_args(Severity)
SEVERITY_ALIASES = {
    "none": "info",
    "page": "critical",
    "error": "high",
    "major": "high",
    "warn": "warning",
    "minor": "low",
}
"""Severity values of common rule sets that are not augur's, and the one taken for them
(kube-prometheus' Watchdog and InfoInhibitor say `none`: they notify nobody, as info)."""
DEFAULT_SEVERITY = "warning"

_GROUP_FIELDS_NOT_CARRIED = {
    "interval": "augur evaluates every rule at the stack's prometheus.evaluationInterval",
    "limit": "an AlertPolicy has no limit on the alerts or series a rule may produce",
    "query_offset": "augur evaluates rules without a query offset",
    "partial_response_strategy": "a Thanos Ruler setting; augur's rules run in Prometheus",
}
_RULE_FIELDS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


@dataclass
class RulesImport:
    """The AlertPolicies made of one PrometheusRule, and what could not be carried over."""

    policies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the document could not be read as a PrometheusRule at all."""
        return any(note.kind == "error" for note in self.notes)


def is_prometheus_rule(doc: Any) -> bool:
    """True for a prometheus-operator PrometheusRule document."""
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "PrometheusRule"
        and str(doc.get("apiVersion", "")).startswith("monitoring.coreos.com/")
    )


def import_prometheus_rule(doc: dict[str, Any], namespace: str | None = None) -> RulesImport:
    """The AlertPolicies of one PrometheusRule (in `namespace` when given, else its own), and
    a note for every part not carried over or changed on the way."""
    result = RulesImport()
    groups = _groups(doc, result)
    if result.failed:
        return result
    metadata = doc["metadata"]
    alerts: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for index, group in enumerate(groups):
        _import_group(group, f"spec.groups[{index}]", alerts, records, result)
    if result.failed:
        return result
    result.policies = _policies(metadata, namespace or metadata.get("namespace"), alerts, records)
    if not result.policies:
        result.notes.append(dropped("spec.groups", "PrometheusRule", "no rule to carry over"))
    return result


def _groups(doc: dict[str, Any], result: RulesImport) -> list[dict[str, Any]]:
    """The rule groups of the document, or an error note when it is not shaped as one."""
    if doc.get("apiVersion") != PROMETHEUS_RULE_API:
        result.notes.append(error("apiVersion", f"expected {PROMETHEUS_RULE_API}"))
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        result.notes.append(error("metadata.name", "a PrometheusRule needs a name"))
    spec = doc.get("spec")
    groups = spec.get("groups") if isinstance(spec, dict) else None
    if not isinstance(groups, list):
        result.notes.append(error("spec.groups", "expected a list of rule groups"))
        return []
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            result.notes.append(error(f"spec.groups[{index}]", "a group needs a name"))
        elif not isinstance(group.get("rules", []), list):
            result.notes.append(error(f"spec.groups[{index}].rules", "expected a list"))
    return groups


def _import_group(
    group: dict[str, Any],
    path: str,
    alerts: list[dict[str, Any]],
    records: list[dict[str, Any]],
    result: RulesImport,
) -> None:
    subject = f"group {group['name']}"
    for key, value in group.items():
        if key in _GROUP_FIELDS_NOT_CARRIED:
            result.notes.append(
                dropped(
                    f"{path}.{key}", subject, f"{key}: {value}: {_GROUP_FIELDS_NOT_CARRIED[key]}"
                )
            )
        elif key not in ("name", "rules", "labels"):
            result.notes.append(dropped(f"{path}.{key}", subject, f"unknown field {key!r}"))
    group_labels = group.get("labels") or {}
    if not isinstance(group_labels, dict):
        result.notes.append(error(f"{path}.labels", "expected a mapping of labels"))
        return
    for index, rule in enumerate(group.get("rules") or []):
        rule_path = f"{path}.rules[{index}]"
        if not _rule_shape(rule, rule_path, result):
            continue
        labels = {
            str(k): _text(v) for k, v in {**group_labels, **(rule.get("labels") or {})}.items()
        }
        if "record" in rule:
            record = _record(rule, labels, rule_path, result.notes)
            if record is not None:
                records.append(record)
        else:
            alert = _alert(rule, labels, rule_path, result.notes)
            if alert is not None:
                alerts.append(alert)


def _rule_shape(rule: Any, path: str, result: RulesImport) -> bool:
    """True when `rule` is an alerting or a recording rule with an expression."""
    if not isinstance(rule, dict):
        result.notes.append(error(path, "a rule is a mapping"))
        return False
    if ("alert" in rule) == ("record" in rule):
        result.notes.append(error(path, "a rule sets exactly one of alert and record"))
        return False
    if rule.get("expr") in (None, ""):
        result.notes.append(error(f"{path}.expr", "a rule needs an expression"))
        return False
    for key in ("labels", "annotations"):
        if not isinstance(rule.get(key) or {}, dict):
            result.notes.append(error(f"{path}.{key}", "expected a mapping"))
            return False
    return True


def _text(value: Any) -> str:
    """A label or annotation value as Prometheus reads it (YAML may make it a number)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unknown_fields(rule: dict[str, Any], path: str, subject: str) -> list[Note]:
    return [
        dropped(f"{path}.{key}", subject, f"unknown field {key!r}")
        for key in rule
        if key not in _RULE_FIELDS
    ]


def _reserved(labels: dict[str, str], path: str, subject: str) -> list[Note]:
    """Notes for (and removal of) the labels augur sets itself."""
    notes = []
    for name in [n for n in labels if n in RESERVED_LABELS and n != "severity"]:
        value = labels.pop(name)
        why = (
            "augur sets namespace to the policy's namespace"
            if name == "namespace"
            else f"augur sets {name} itself"
        )
        notes.append(dropped(f"{path}.labels.{name}", subject, f"label {name}={value!r}: {why}"))
    return notes


def _record(
    rule: dict[str, Any], labels: dict[str, str], path: str, notes: list[Note]
) -> dict[str, Any] | None:
    subject = f"record {rule['record']}"
    notes += _unknown_fields(rule, path, subject)
    for key in ("for", "keep_firing_for", "annotations"):
        if key in rule:
            notes.append(dropped(f"{path}.{key}", subject, f"a recording rule has no {key}"))
    if "severity" in labels:
        labels = dict(labels)
        value = labels.pop("severity")
        notes.append(
            dropped(
                f"{path}.labels.severity", subject, f"label severity={value!r}: reserved by augur"
            )
        )
    notes += _reserved(labels, path, subject)
    record: dict[str, Any] = {"record": str(rule["record"]), "expr": str(rule["expr"])}
    if labels:
        record["labels"] = labels
    return _validated(Record, record, path, subject, notes)


def _alert(
    rule: dict[str, Any], labels: dict[str, str], path: str, notes: list[Note]
) -> dict[str, Any] | None:
    name = str(rule["alert"])
    subject = f"alert {name}"
    notes += _unknown_fields(rule, path, subject)
    labels = dict(labels)
    severity = _severity(labels.pop("severity", None), path, subject, notes)
    notes += _reserved(labels, path, subject)
    alert: dict[str, Any] = {"name": name, "severity": severity, "expr": str(rule["expr"])}
    for key, alias in (("for", "for"), ("keep_firing_for", "keepFiringFor")):
        if rule.get(key) is not None:
            alert[alias] = str(rule[key])
    annotations = {str(k): _text(v) for k, v in (rule.get("annotations") or {}).items()}
    for key in ("summary", "description"):
        if key in annotations:
            alert[key] = annotations.pop(key)
    if str(annotations.get("runbook_url", "")).startswith(("http://", "https://")):
        alert["runbookURL"] = annotations.pop("runbook_url")
    if labels:
        alert["labels"] = labels
    if annotations:
        alert["annotations"] = annotations
    checked = _validated(Alert, alert, path, subject, notes)
    if checked is not None and may_carry_label(checked["expr"], "namespace"):
        notes.append(
            changed(
                f"{path}.expr",
                subject,
                "its series' namespace label is the alert's exported_namespace: augur sets "
                "namespace to the policy's (under the stack's tenancy its series are all of "
                "the policy's namespace)",
            )
        )
    return checked


def _severity(value: str | None, path: str, subject: str, notes: list[Note]) -> str:
    """augur's severity for the rule's `severity` label, with a note when it differs."""
    where = f"{path}.labels.severity" if value is not None else path
    if value in SEVERITIES:
        return value
    lowered = (value or "").strip().lower()
    severity = lowered if lowered in SEVERITIES else SEVERITY_ALIASES.get(lowered)
    if severity is None:
        severity = DEFAULT_SEVERITY
        why = "no severity label" if value is None else f"severity {value!r} is not augur's"
        notes.append(
            changed(where, subject, f"{why}: severity {severity} (one of {', '.join(SEVERITIES)})")
        )
    else:
        held = " (notified only by a route that names info)" if severity == "info" else ""
        notes.append(changed(where, subject, f"severity {value!r} becomes {severity}{held}"))
    return severity


def _validated(
    model: type[Alert] | type[Record],
    body: dict[str, Any],
    path: str,
    subject: str,
    notes: list[Note],
) -> dict[str, Any] | None:
    """`body` when it is a valid `model`, else None with a note per problem."""
    try:
        model.model_validate(body)
    except ValidationError as failure:
        for problem in problems_from(failure, model):
            notes.append(dropped(f"{path}.{_source_field(problem.path)}", subject, str(problem)))
        return None
    return body


def _source_field(field_path: str) -> str:
    """Where a field of the AlertPolicy alert was written in the rule."""
    head = field_path.split(".")[0].split("[")[0]
    if head in ("summary", "description"):
        return f"annotations.{head}"
    if head == "runbookURL":
        return "annotations.runbook_url"
    return {"name": "alert", "keepFiringFor": "keep_firing_for"}.get(head, field_path)


def _policies(
    metadata: dict[str, Any],
    namespace: str | None,
    alerts: list[dict[str, Any]],
    records: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The policies holding the alerts, the n-th of each alert name in the n-th policy."""
    shelves: list[list[dict[str, Any]]] = []
    seen: Counter[str] = Counter()
    for alert in alerts:
        seen[alert["name"]] += 1
        while len(shelves) < seen[alert["name"]]:
            shelves.append([])
        shelves[seen[alert["name"]] - 1].append(alert)
    if records and not shelves:
        shelves.append([])
    base = str(metadata["name"])
    policies = []
    for index, shelf in enumerate(shelves):
        spec: dict[str, Any] = {}
        if index == 0 and records:
            spec["records"] = records
        if shelf:
            spec["alerts"] = shelf
        suffix = "" if index == 0 else f"-{index + 1}"
        policies.append(_policy(_fitting(base, suffix, namespace), metadata, namespace, spec))
    return policies


def _fitting(base: str, suffix: str, namespace: str | None) -> str:
    """`base` + `suffix`, `base` shortened when the name would not fit the policy's rule file
    name (a PrometheusRule's name may be longer than an AlertPolicy's in its namespace)."""
    longest = RULE_FILE_KEY_MAX - RULE_FILE_EXTRA - len(namespace or "default") - len(suffix)
    return base[:longest].rstrip("-.") + suffix


def _policy(
    name: str, metadata: dict[str, Any], namespace: str | None, spec: dict[str, Any]
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    labels = metadata.get("labels")
    if isinstance(labels, dict) and labels:
        meta["labels"] = {str(k): _text(v) for k, v in labels.items()}
    source = f"PrometheusRule/{metadata.get('namespace') or ''}/{metadata['name']}"
    meta["annotations"] = {IMPORTED_FROM: source.replace("//", "/")}
    return {"apiVersion": API_VERSION, "kind": "AlertPolicy", "metadata": meta, "spec": spec}

"""An Alertmanager configuration's routes, receivers, inhibitions and time intervals as an
AlertPolicy's (pure: a document in, spec parts and notes out).

Reads a plain `alertmanager.yml` or a prometheus-operator `AlertmanagerConfig`
(`monitoring.coreos.com/v1alpha1`, whose fields are brought to alertmanager.yml's names
first: `operator_config.py`). Routes: `routes.py`; receivers: `receivers.py`. `equal` on
`namespace` moves to `exported_namespace`, where imported alerts keep their series'
namespace (`rules.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from augur.api.alertpolicy import Inhibition
from augur.api.matchers import Matcher, parse_matcher
from augur.api.timeintervals import NamedTimeInterval
from augur.commands.importing.notes import (
    Note,
    as_list,
    changed,
    checked,
    dropped,
    error,
    item_name,
)
from augur.commands.importing.operator_config import camel_path, from_alertmanager_config
from augur.commands.importing.receivers import GLOBAL_DEFAULTS, import_receivers, receiver_names
from augur.commands.importing.routes import exported, forget_dropped_intervals, import_routing
from augur.commands.importing.rules import SEVERITY_ALIASES


@dataclass
class AlertmanagerImport:
    """The spec parts every imported AlertPolicy with alerts takes, and the notes."""

    routing: dict[str, Any] = field(default_factory=dict)
    receivers: list[dict[str, Any]] = field(default_factory=list)
    inhibitions: list[dict[str, Any]] = field(default_factory=list)
    time_intervals: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the document could not be read as an Alertmanager configuration."""
        return any(note.kind == "error" for note in self.notes)


def is_alertmanager_config(doc: Any) -> bool:
    """True for an AlertmanagerConfig object or a plain alertmanager.yml (no kind, a route or
    receivers)."""
    if not isinstance(doc, dict):
        return False
    if doc.get("kind") == "AlertmanagerConfig":
        return str(doc.get("apiVersion", "")).startswith("monitoring.coreos.com/")
    return "kind" not in doc and ("route" in doc or "receivers" in doc)


def apply_routing(
    policies: list[dict[str, Any]], imported: AlertmanagerImport
) -> list[dict[str, Any]]:
    """`policies` with the imported routing, receivers and time intervals on each that has
    alerts (a policy of recording rules only routes nothing), and the inhibitions on the
    first of each namespace: inhibitions act across the policies of a stack (of a namespace
    under tenancy), so one copy per namespace keeps Alertmanager's configuration free of
    repeats."""
    inhibiting: set[str | None] = set()
    result = []
    for policy in policies:
        spec = policy["spec"]
        if not spec.get("alerts"):
            result.append(policy)
            continue
        namespace = policy["metadata"].get("namespace")
        parts = {
            "routing": imported.routing,
            "receivers": imported.receivers,
            "inhibitions": imported.inhibitions if namespace not in inhibiting else [],
            "timeIntervals": imported.time_intervals,
        }
        inhibiting.add(namespace)
        result.append({**policy, "spec": {**spec, **{k: v for k, v in parts.items() if v}}})
    return result


def _import(doc: dict[str, Any]) -> AlertmanagerImport:
    result = AlertmanagerImport()
    if doc.get("kind") == "AlertmanagerConfig":
        spec = doc.get("spec")
        if not isinstance(spec, dict):
            result.notes.append(error("spec", "expected a mapping"))
            return result
        config, prefix = from_alertmanager_config(spec), "spec."
    else:
        config, prefix = doc, ""
    route = config.get("route")
    if not isinstance(route, dict):
        result.notes.append(error(f"{prefix}route", "expected the top route (a mapping)"))
        return result
    result.notes += shape_problems(config, prefix)
    if result.failed:
        return result
    if not prefix:
        result.notes += _outside_policy(doc)
    names = receiver_names(config.get("receivers") or [])
    result.time_intervals = _time_intervals(config, prefix, result.notes)
    result.receivers = import_receivers(config, prefix, names, result.notes)
    result.routing = import_routing(route, f"{prefix}route", names, result.notes)
    kept = {interval["name"] for interval in result.time_intervals}
    forget_dropped_intervals(result.routing, kept, f"{prefix}route", result.notes)
    result.inhibitions = _inhibitions(config.get("inhibit_rules") or [], prefix, result.notes)
    return result


_TOP_FIELDS = frozenset(
    {"global", "templates", "route", "receivers", "inhibit_rules", "time_intervals"}
    | {"mute_time_intervals"}
)


def _outside_policy(doc: dict[str, Any]) -> list[Note]:
    """Notes for what of an alertmanager.yml has no place in an AlertPolicy."""
    notes = []
    if "templates" in doc:
        notes.append(
            dropped(
                "templates",
                "templates",
                "an AlertPolicy has no template files; texts that call their templates are "
                "reported with their receivers",
            )
        )
    known = {name for fields in GLOBAL_DEFAULTS.values() for name in fields.values()}
    for key in doc.get("global") or {}:
        if key not in known:
            notes.append(dropped(f"global.{key}", "global", f"{key}: not an AlertPolicy setting"))
    for key in doc:
        if key not in _TOP_FIELDS:
            notes.append(dropped(str(key), str(key), f"unknown field {key!r}"))
    return notes


def import_alertmanager(doc: dict[str, Any]) -> AlertmanagerImport:
    """The AlertPolicy parts of an Alertmanager configuration, and a note for every part not
    carried over or changed, placed at the document's own field names."""
    result = _import(doc)
    if doc.get("kind") == "AlertmanagerConfig":
        result.notes = [replace(n, path=camel_path(n.path)) for n in result.notes]
    return result


def shape_problems(config: dict[str, Any], prefix: str) -> list[Note]:
    """Error notes for every part of the configuration not shaped as Alertmanager reads it."""
    problems: list[Note] = []

    def expect(value: Any, kind: type, path: str) -> bool:
        if value is None or isinstance(value, kind):
            return value is not None
        what = "a mapping" if kind is dict else "a list"
        problems.append(error(path, f"expected {what}"))
        return False

    expect(config.get("global"), dict, "global")
    for index, receiver in enumerate(as_list(config.get("receivers"))):
        path = f"{prefix}receivers[{index}]"
        if expect(receiver, dict, path):
            for key, configs in receiver.items():
                if key != "name" and expect(configs, list, f"{path}.{key}"):
                    for position, item in enumerate(configs):
                        expect(item, dict, f"{path}.{key}[{position}]")
    expect(config.get("receivers"), list, f"{prefix}receivers")
    for index, rule in enumerate(as_list(config.get("inhibit_rules"))):
        path = f"{prefix}inhibit_rules[{index}]"
        if expect(rule, dict, path):
            for side in ("source", "target"):
                expect(rule.get(f"{side}_matchers"), list, f"{path}.{side}_matchers")
                expect(rule.get(f"{side}_match"), dict, f"{path}.{side}_match")
                expect(rule.get(f"{side}_match_re"), dict, f"{path}.{side}_match_re")
            expect(rule.get("equal"), list, f"{path}.equal")
    expect(config.get("inhibit_rules"), list, f"{prefix}inhibit_rules")
    for key in ("time_intervals", "mute_time_intervals"):
        expect(config.get(key), list, f"{prefix}{key}")
        for index, interval in enumerate(as_list(config.get(key))):
            path = f"{prefix}{key}[{index}]"
            if expect(interval, dict, path) and expect(
                interval.get("time_intervals"), list, f"{path}.time_intervals"
            ):
                for position, item in enumerate(interval["time_intervals"]):
                    where = f"{path}.time_intervals[{position}]"
                    if expect(item, dict, where) and expect(
                        item.get("times"), list, f"{where}.times"
                    ):
                        for number, times in enumerate(item["times"]):
                            expect(times, dict, f"{where}.times[{number}]")
    pending = [(config["route"], f"{prefix}route")]
    while pending:  # its own stack: the nesting of routes is the input's
        route, path = pending.pop()
        if not expect(route, dict, path):
            continue
        expect(route.get("matchers"), list, f"{path}.matchers")
        expect(route.get("match"), dict, f"{path}.match")
        expect(route.get("match_re"), dict, f"{path}.match_re")
        expect(route.get("group_by"), list, f"{path}.group_by")
        for key in ("mute_time_intervals", "active_time_intervals"):
            expect(route.get(key), list, f"{path}.{key}")
        if expect(route.get("routes"), list, f"{path}.routes"):
            pending += [(child, f"{path}.routes[{i}]") for i, child in enumerate(route["routes"])]
    return problems


def _inhibitions(rules: list[Any], prefix: str, notes: list[Note]) -> list[dict[str, Any]]:
    found = []
    for index, rule in enumerate(rules):
        path = f"{prefix}inhibit_rules[{index}]"
        subject = f"inhibit rule {index}"
        if not isinstance(rule, dict):
            notes.append(error(path, "an inhibit rule is a mapping"))
            continue
        sides = []
        for side in ("source", "target"):
            texts = [str(m) for m in rule.get(f"{side}_matchers") or []]
            texts += [f'{k}="{v}"' for k, v in (rule.get(f"{side}_match") or {}).items()]
            texts += [f'{k}=~"{v}"' for k, v in (rule.get(f"{side}_match_re") or {}).items()]
            sides.append(texts)
        equal = [str(label) for label in rule.get("equal") or []]
        if "namespace" in equal:
            equal = ["exported_namespace" if e == "namespace" else e for e in equal]
            notes.append(
                changed(f"{path}.equal", subject, "equal namespace becomes exported_namespace")
            )
        body = {"sourceMatchers": sides[0], "targetMatchers": sides[1], "equal": equal}
        if checked(Inhibition, body, path, subject, notes):
            body["sourceMatchers"] = [_rendered(t, path, subject, notes) for t in sides[0]]
            body["targetMatchers"] = [_rendered(t, path, subject, notes) for t in sides[1]]
            if not equal:
                del body["equal"]
            notes.append(
                changed(
                    path,
                    subject,
                    "under the stack's tenancy it acts only among the policy's namespace's alerts",
                )
            )
            found.append(body)
    return found


def _rendered(text: str, path: str, subject: str, notes: list[Note]) -> str:
    matcher = parse_matcher(text.strip().strip("{}"))
    if matcher.name == "severity" and matcher.op == "=" and matcher.value in SEVERITY_ALIASES:
        mapped = SEVERITY_ALIASES[matcher.value]
        notes.append(changed(path, subject, f"severity {matcher.value!r} is {mapped}"))
        matcher = Matcher("severity", "=", mapped)
    return exported(matcher, path, subject, notes).render()


def _time_intervals(config: dict[str, Any], prefix: str, notes: list[Note]) -> list[dict[str, Any]]:
    found = []
    for key in ("time_intervals", "mute_time_intervals"):
        for index, raw in enumerate(config.get(key) or []):
            path = f"{prefix}{key}[{index}]"
            if prefix and key == "time_intervals":
                path = f"spec.muteTimeIntervals[{index}]"
            if not isinstance(raw, dict):
                notes.append(error(path, "a time interval is a mapping"))
                continue
            subject = f"time interval {raw.get('name')}"
            intervals = []
            for interval in raw.get("time_intervals") or []:
                converted = {}
                for name, value in (interval or {}).items():
                    if name == "times":
                        value = [
                            {"start": t.get("start_time"), "end": t.get("end_time")} for t in value
                        ]
                    converted[{"days_of_month": "daysOfMonth"}.get(name, name)] = value
                intervals.append(converted)
            body = {"name": item_name(raw.get("name")), "intervals": intervals}
            if checked(NamedTimeInterval, body, path, subject, notes):
                found.append(body)
    return found

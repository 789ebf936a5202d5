"""Where a stack's alerts can be delivered: each alert's labels walked through the rendered
Alertmanager route tree, to find alerts that can only reach a receiver with no integration.

An alert's labels are partly known before it fires: those its rule sets (severity, namespace,
augur_policy, the user's static labels, …) and augur's own labels a rule does not set (then
absent). The rest come from the series and are unknown, so a route matching on them may or
may not take the alert: the walk follows both ways, as Alertmanager would for some series.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from augur.api.common import RESERVED_LABELS
from augur.api.escalation import ESCALATED_FROM_LABEL, ESCALATED_LABEL, escalations
from augur.api.matchers import parse_matcher
from augur.api.resources import Problem
from augur.render.alertmanager.config import render_stack_alertmanager_config
from augur.render.alertmanager.receivers import NULL_RECEIVER
from augur.render.cluster.rules import cluster_alerts
from augur.render.prometheus.selfmonitoring import WATCHDOG, self_monitoring_alerts
from augur.render.rules.alerts import alert_labels
from augur.render.rules.files import stack_scope
from augur.render.rules.kpi import kpi_problems, kpi_rules
from augur.render.rules.promoperator import promrule_groups
from augur.render.selection import StackInputs


@dataclass(frozen=True)
class StackAlert:
    """One alert a stack's rules can raise, as far as routing can know it."""

    source: str
    """'Kind/namespace/name' of the object it comes from."""
    path: str
    """The field of that object it comes from."""
    alert: str
    labels: dict[str, str]
    """The labels its rule sets."""
    unknown: frozenset[str] = frozenset()
    """Labels of augur's routing its series may carry (a PrometheusRule's alert gets
    `namespace` and `severity` from its series unless its rule sets them)."""


def stack_alerts(inputs: StackInputs) -> Iterator[StackAlert]:
    """Every alert of the stack: the policies' (each escalation level too), the KPIs', the
    PrometheusRules', the stack's self-monitoring and its cluster monitoring."""
    for policy in inputs.alert_policies:
        scope = stack_scope(inputs, policy.namespace)
        spec = policy.spec
        for index, alert in enumerate(spec.alerts):
            labels = alert_labels(policy.name, spec, alert, scope)
            where = (f"AlertPolicy/{policy.key}", f"spec.alerts[{index}]", alert.name)
            yield StackAlert(*where, labels)
            for level in escalations(spec.routing.escalation, alert.severity):
                raised = {
                    **labels,
                    "severity": level.severity,
                    ESCALATED_LABEL: "true",
                    ESCALATED_FROM_LABEL: alert.severity,
                }
                yield StackAlert(*where, raised)
    for kpi in inputs.business_kpis:
        if kpi_problems(kpi.spec):
            continue
        try:
            rules = kpi_rules(kpi.name, kpi.spec, stack_scope(inputs, kpi.namespace))
        except ValueError:  # not valid PromQL: reported where the KPI is rendered
            continue
        for rule in rules:
            if "alert" in rule:
                source = f"BusinessKPI/{kpi.key}"
                yield StackAlert(source, "spec.alerting", str(rule["alert"]), dict(rule["labels"]))
    yield from _prometheus_rule_alerts(inputs)
    stack = inputs.stack
    if stack.spec.prometheus.enabled:
        for self_alert in self_monitoring_alerts(stack):
            source = f"MonitoringStack/{stack.key}"
            labels = dict(self_alert.rule()["labels"])
            path = "spec.alertmanager." + (
                "watchdogReceiver" if self_alert is WATCHDOG else "defaultReceiver"
            )
            yield StackAlert(source, path, self_alert.name, labels)
        if stack.spec.cluster_monitoring.part("rules"):
            for cluster_alert in cluster_alerts(stack):
                labels = dict(cluster_alert.rule()["labels"])
                path = "spec.alertmanager.defaultReceiver"
                yield StackAlert(f"MonitoringStack/{stack.key}", path, cluster_alert.name, labels)


def _prometheus_rule_alerts(inputs: StackInputs) -> Iterator[StackAlert]:
    """The alerts of the selected PrometheusRules, one path per group (a label whose value is
    a template is unknown, as is one its rule leaves to the series)."""
    for rule in inputs.prometheus_rules:
        groups, problems = promrule_groups(rule, stack_scope(inputs, rule.namespace))
        if problems:
            continue  # reported where it is rendered
        for index, group in enumerate(groups):
            for item in group["rules"]:
                if "alert" not in item:
                    continue
                set_labels = {**group.get("labels", {}), **item.get("labels", {})}
                labels = {k: v for k, v in set_labels.items() if "{{" not in v}
                unknown = frozenset({"namespace", "severity"} - set(labels))
                where = (f"PrometheusRule/{rule.key}", f"spec.groups[{index}]", item["alert"])
                yield StackAlert(*where, labels, unknown)


def _matches(text: str, labels: dict[str, str], known: frozenset[str] | set[str]) -> bool | None:
    """Whether a matcher holds for the alert: None when it reads a label that is not known."""
    matcher = parse_matcher(text)
    if matcher.name not in labels and matcher.name not in known:
        return None
    value = labels.get(matcher.name, "")
    if matcher.op in ("=", "!="):
        equal = value == matcher.value
        return equal if matcher.op == "=" else not equal
    found = re.fullmatch(matcher.value, value) is not None
    return found if matcher.op == "=~" else not found


def _route_matches(
    route: dict[str, Any], labels: dict[str, str], known: frozenset[str] | set[str]
) -> bool | None:
    verdicts = [_matches(m, labels, known) for m in route.get("matchers") or []]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def reachable(
    route: dict[str, Any], labels: dict[str, str], known: frozenset[str] | set[str]
) -> set[str]:
    """The receivers an alert with `labels` may reach from `route` (which it matched): a child
    that surely matches takes it (and, without `continue`, ends the search); one that may
    match may take it; the route's own receiver when no child surely takes it."""
    found: set[str] = set()
    taken = False
    for child in route.get("routes") or []:
        verdict = _route_matches(child, labels, known)
        if verdict is False:
            continue
        found |= reachable(child, labels, known)
        if verdict:
            taken = True
            if not child.get("continue"):
                break
    if not taken:
        found.add(str(route.get("receiver")))
    return found


def empty_receivers(config: dict[str, Any]) -> set[str]:
    """Receivers with no integration (they deliver nowhere)."""
    return {
        str(r.get("name"))
        for r in config.get("receivers") or []
        if not any(key.endswith("_configs") for key in r)
    }


def delivery_warnings(inputs: StackInputs) -> dict[str, list[Problem]]:
    """What keeps the stack's alerts from reaching someone, by 'Kind/namespace/name' of their
    object (nothing when the stack runs no Alertmanager): alerts that can only reach
    receivers with no integration, and KPIs whose `alerting.policyRef` names a policy the
    stack does not load. Alerts held back on purpose (info alerts no route lists, which go to
    augur's null receiver) are not reported."""
    rendered = render_stack_alertmanager_config(inputs)
    if rendered is None:
        return {}
    found: dict[str, list[Problem]] = {}
    loaded = {
        p.key for p in inputs.alert_policies if f"AlertPolicy/{p.key}" not in rendered.rejected
    }
    for kpi in inputs.business_kpis:
        ref = kpi.spec.alerting.policy_ref
        if ref is not None and f"{kpi.namespace}/{ref.name}" not in loaded:
            message = (
                f"stack {inputs.stack.key} does not load AlertPolicy {kpi.namespace}/{ref.name}, "
                "so the KPI's alerts go to its defaultReceiver"
            )
            found.setdefault(f"BusinessKPI/{kpi.key}", []).append(
                Problem("spec.alerting.policyRef.name", message)
            )
    for source, problems in _undelivered(inputs, rendered.config).items():
        found.setdefault(source, []).extend(problems)
    return found


def _undelivered(inputs: StackInputs, config: dict[str, Any]) -> dict[str, list[Problem]]:
    """Alerts that can only reach receivers with no integration: one problem per field of an
    object and set of receivers, naming the alerts (with their severity)."""
    empty = empty_receivers(config)
    enforce = inputs.stack.spec.tenancy.enforce_namespace_label
    known = RESERVED_LABELS | ({enforce} if enforce else set())
    grouped: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for alert in stack_alerts(inputs):
        # An alert's name is always known: routes matching on it are decided.
        labels = {**alert.labels, "alertname": alert.alert}
        receivers = reachable(config["route"], labels, known - alert.unknown)
        if not receivers <= empty or receivers <= {NULL_RECEIVER}:
            continue
        names = tuple(sorted(receivers - {NULL_RECEIVER}))
        severity = alert.labels.get("severity")
        described = f"{alert.alert} ({severity})" if severity else alert.alert
        alerts = grouped.setdefault((alert.source, alert.path, names), [])
        if described not in alerts:
            alerts.append(described)
    found: dict[str, list[Problem]] = {}
    for (source, path, names), alerts in grouped.items():
        which = f"alert {alerts[0]}" if len(alerts) == 1 else f"alerts {', '.join(alerts)}"
        message = (
            f"{which} can only reach receiver {', '.join(names)} of stack {inputs.stack.key}, "
            "which has no integration: delivered nowhere"
        )
        found.setdefault(source, []).append(Problem(path, message))
    return found

"""Static alerts and escalation alerts of an AlertPolicy, as Prometheus rules (plain dicts)."""

from __future__ import annotations

from typing import Any

import promql_parser

from augur.api.alertpolicy import Alert, AlertPolicySpec, EscalationStep
from augur.api.common import duration_seconds
from augur.render.rules.promql_text import enclosable, quote, selector
from augur.render.rules.tenancy import RuleScope

Rule = dict[str, Any]

ESCALATED_LABEL = "augur_escalated"
EXPORTED_NAMESPACE = "exported_namespace"


def returns_vector(expr: str) -> bool:
    """True when the expression's value is an instant vector (not a scalar)."""
    return _vector_node(promql_parser.parse(expr))


def _vector_node(node: Any) -> bool:
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return _vector_node(node.expr)
    if isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        return False
    if isinstance(node, promql_parser.Call):
        return bool(node.func.return_type != promql_parser.ValueType.Scalar)
    if isinstance(node, promql_parser.BinaryExpr):
        return _vector_node(node.lhs) or _vector_node(node.rhs)
    return True


def keep_series_namespace(expr: str, scope: RuleScope) -> str:
    """Move a series' own `namespace` to `exported_namespace` before augur sets `namespace`.

    Rule labels override series labels; without this, series that differ only in their
    namespace would collide once `namespace` is set to the policy's, and the rule would fail
    to evaluate. Under tenancy every series already carries the policy's namespace.
    """
    if scope.enforce_label is not None or not returns_vector(expr):
        return expr
    return f'label_replace({enclosable(expr)}, "{EXPORTED_NAMESPACE}", "$1", "namespace", "(.+)")'


def alert_labels(
    name: str, spec: AlertPolicySpec, alert: Alert, scope: RuleScope
) -> dict[str, str]:
    """severity, namespace (and the tenancy label), augur_policy, then the user's labels."""
    return {
        "severity": alert.severity,
        **scope.tenant_labels,
        "augur_policy": name,
        **spec.defaults.labels,
        **alert.labels,
    }


def alert_annotations(alert: Alert) -> dict[str, str]:
    """summary, description and runbook_url (when set), then the user's annotations."""
    annotations: dict[str, str] = {}
    if alert.summary is not None:
        annotations["summary"] = alert.summary
    if alert.description is not None:
        annotations["description"] = alert.description
    if alert.runbook_url is not None:
        annotations["runbook_url"] = alert.runbook_url
    annotations.update(alert.annotations)
    return annotations


def with_timing(rule: Rule, for_: str | None, keep_firing_for: str | None) -> Rule:
    """Add `for` and `keep_firing_for` to the rule when they are longer than zero."""
    if for_ is not None and duration_seconds(for_) > 0:
        rule["for"] = for_
    if keep_firing_for is not None and duration_seconds(keep_firing_for) > 0:
        rule["keep_firing_for"] = keep_firing_for
    return rule


def alert_rule(name: str, spec: AlertPolicySpec, alert: Alert, expr: str, scope: RuleScope) -> Rule:
    """The alerting rule of `alert` with condition `expr` (already restricted to the scope)."""
    rule: Rule = {"alert": alert.name, "expr": expr}
    with_timing(
        rule,
        alert.for_ if alert.for_ is not None else spec.defaults.for_,
        alert.keep_firing_for
        if alert.keep_firing_for is not None
        else spec.defaults.keep_firing_for,
    )
    rule["labels"] = alert_labels(name, spec, alert, scope)
    annotations = alert_annotations(alert)
    if annotations:
        rule["annotations"] = annotations
    return rule


def static_alert_rule(name: str, spec: AlertPolicySpec, alert: Alert, scope: RuleScope) -> Rule:
    """The rule of an alert with a PromQL condition."""
    assert alert.expr is not None
    expr = keep_series_namespace(scope.restrict(alert.expr), scope)
    return alert_rule(name, spec, alert, expr, scope)


def escalation_rules(name: str, spec: AlertPolicySpec, scope: RuleScope) -> list[Rule]:
    """One rule per escalation step and alert it raises, in the order of steps then alerts."""
    rules = []
    for step in spec.routing.escalation:
        for alert in spec.alerts:
            if alert.severity in step.severities:
                rules.append(escalation_rule(name, alert, step, scope))
    return rules


def escalation_rule(name: str, alert: Alert, step: EscalationStep, scope: RuleScope) -> Rule:
    """The alert at the higher severity while its source has been firing for `after`.

    It keeps the source's alertname and labels (routes and inhibitions treat it as the same
    alert), and carries augur_escalated="true" so it never matches itself.
    """
    source = {
        "alertname": alert.name,
        "alertstate": "firing",
        "severity": alert.severity,
        **scope.tenant_labels,
        "augur_policy": name,
    }
    alerts = selector("ALERTS", source, f"{ESCALATED_LABEL}!={quote('true')}")
    expr = f"max without (alertstate) ({alerts})"
    annotations = {
        "summary": alert.summary or f"{alert.name} is still firing",
        "description": (
            f"Firing for {step.after} at severity {alert.severity}: raised to {step.to}."
        ),
    }
    if alert.runbook_url is not None:
        annotations["runbook_url"] = alert.runbook_url
    return {
        "alert": alert.name,
        "expr": expr,
        "for": step.after,
        "labels": {"severity": step.to, ESCALATED_LABEL: "true"},
        "annotations": annotations,
    }

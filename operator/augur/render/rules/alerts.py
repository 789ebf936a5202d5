"""Static alerts and escalation alerts of an AlertPolicy, as Prometheus rules (plain dicts).

Escalation chains (medium → high after 4h, high → critical after 1h) become one rule per
alert and severity it climbs to, each reading the source alert's own ALERTS series with
`for:` the sum of the delays along its chain (critical: `for: 5h`), labelled with the final
severity. Chaining rules on each other's ALERTS (critical from the high copy, `for: 1h`) would
say the same but worse: each link adds an evaluation of lag before it starts counting, a
link's output must be told apart from a native alert of the same severity, and a rule that
matched its own output would loop. Reading only the source (`augur_escalated!="true"`) keeps
every level independent: the `for:` of a level runs exactly while the source fires, all levels
resolve in the evaluation the source does, and no rule ever selects an escalated copy. When
two chains reach one severity the quicker one is the rule (`api/escalation.py`), so one copy
per severity.
"""

from __future__ import annotations

from typing import Any

import promql_parser

from augur.api.alertpolicy import Alert, AlertPolicySpec
from augur.api.common import duration_seconds
from augur.api.escalation import (
    ESCALATED_FROM_LABEL,
    ESCALATED_LABEL,
    ESCALATION_ANNOTATION,
    Escalation,
    escalations,
)
from augur.api.promql import parse_expression
from augur.render.rules.promql_text import enclosable, quote, selector
from augur.render.rules.tenancy import RuleScope

Rule = dict[str, Any]

EXPORTED_NAMESPACE = "exported_namespace"


def returns_vector(expr: str) -> bool:
    """True when the expression's value is an instant vector (not a scalar)."""
    return _vector_node(parse_expression(expr))


def _vector_node(root: Any) -> bool:
    """True when the node's value is an instant vector. A walk with its own stack, not
    recursion: the depth of an expression is bounded by validation, and this holds anyway."""
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
            pending.append(node.expr)
        elif isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
            continue
        elif isinstance(node, promql_parser.Call):
            if node.func.return_type != promql_parser.ValueType.Scalar:
                return True
        elif isinstance(node, promql_parser.BinaryExpr):
            pending += (node.rhs, node.lhs)
        else:
            return True
    return False


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
    """severity, namespace (and the tenancy label), augur_policy, then the user's labels
    (never one of the tenant's labels: `RuleScope.user_labels`)."""
    return {
        "severity": alert.severity,
        **scope.tenant_labels,
        "augur_policy": name,
        **scope.user_labels(spec.defaults.labels),
        **scope.user_labels(alert.labels),
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
    """One rule per alert and severity its escalation chain raises it to, in alert order,
    each alert's levels in the order they are reached."""
    return [
        escalation_rule(name, alert, escalation, scope)
        for alert in spec.alerts
        for escalation in escalations(spec.routing.escalation, alert.severity)
    ]


def escalation_rule(name: str, alert: Alert, escalation: Escalation, scope: RuleScope) -> Rule:
    """The alert at `escalation.severity` while its source has been firing for the sum of the
    chain's delays.

    Every level is read from the source alert itself, never from the level below: with `for`
    equal to the sum of the delays it fires exactly when the level below has fired for the
    last step's delay, resolves in the same evaluation as the source, and, since it selects
    only alerts without augur_escalated="true", can never feed itself.
    It keeps the source's alertname and labels (routes and inhibitions treat it as the same
    alert) and says where it came from: augur_escalated_from and the `escalation` annotation.
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
            f"Firing for {escalation.after} at severity {alert.severity}: "
            f"raised to {escalation.severity}."
        ),
        ESCALATION_ANNOTATION: escalation.describe(),
    }
    if alert.runbook_url is not None:
        annotations["runbook_url"] = alert.runbook_url
    return {
        "alert": alert.name,
        "expr": expr,
        "for": escalation.after,
        "labels": {
            "severity": escalation.severity,
            ESCALATED_LABEL: "true",
            ESCALATED_FROM_LABEL: alert.severity,
        },
        "annotations": annotations,
    }

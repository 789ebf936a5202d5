"""The rule file of a prometheus-operator PrometheusRule, with the meaning prometheus-operator
gives it (v0.85.0, `pkg/operator/rules.go:PrometheusRuleSelector`).

prometheus-operator writes a PrometheusRule's spec as one rule file (`<ns>-<name>-<uid>.yaml`
in the Prometheus' rule ConfigMaps): the groups as written, in order, with their names,
`interval`, `query_offset`, `limit` and group `labels` (Prometheus 3); `partial_response_
strategy` dropped (`sanitizePrometheusRulesSpec`: Thanos Ruler's only), empty durations
dropped (`ValidateRule`). augur writes the same groups as `promrule__<ns>__<name>.yaml`.

Tenancy. With `enforcedNamespaceLabel` prometheus-operator restricts every rule of a
PrometheusRule from namespace N (`pkg/namespacelabeler/labeler.go:EnforceNamespaceLabel`): a
matcher `<label>="N"` in every selector of its expression (prom-label-proxy's enforcer) and
`<label>: N` in its labels, except the objects listed in `excludedFromEnforcement`. Under a
stack's `tenancy.enforceNamespaceLabel` augur does the same with the injector AlertPolicies
use (`augur.render.rules.tenancy`), for every namespace but the stack's own (its objects are
the stack owner's, as if excluded). Three differences, all on the safe side: a selector that
names another value of the label (`x{namespace="ml"}`) keeps it beside the injected one, so it
selects nothing, where prometheus-operator replaces it; a label set naming another namespace
is refused (`augur.api.promoperator_rules.enforced_label_problems`), where
prometheus-operator overwrites it; and, as on an AlertPolicy's rules, `namespace: N` is set
too when the enforced label is another one, so no expression (`label_replace`) makes a
tenant's alert look like one of another namespace to Alertmanager's routes.
"""

from __future__ import annotations

from typing import Any

from augur.api.promoperator_rules import (
    PROMRULE_FILE_PREFIX,
    PrometheusRule,
    PrometheusRuleGroup,
    PrometheusRuleRule,
    enforced_label_problems,
)
from augur.api.resources import Problem
from augur.render.rules.tenancy import RuleScope


def promrule_file_name(namespace: str, name: str) -> str:
    """The name of a PrometheusRule's rule file."""
    return f"{PROMRULE_FILE_PREFIX}{namespace}__{name}.yaml"


def _rule(rule: PrometheusRuleRule, scope: RuleScope) -> dict[str, Any]:
    """One rule as Prometheus reads it; restricted to the tenant's series under tenancy."""
    out: dict[str, Any] = (
        {"record": rule.record} if rule.record is not None else {"alert": rule.alert}
    )
    out["expr"] = scope.restrict(rule.expr)
    if rule.for_ is not None:
        out["for"] = rule.for_
    if rule.keep_firing_for is not None:
        out["keep_firing_for"] = rule.keep_firing_for
    labels = dict(rule.labels)
    if scope.enforce_label is not None:
        labels.update(scope.tenant_labels)
    if labels:
        out["labels"] = labels
    if rule.annotations:
        out["annotations"] = dict(rule.annotations)
    return out


def _group(group: PrometheusRuleGroup, rules: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name}
    if group.interval is not None:
        out["interval"] = group.interval
    if group.query_offset is not None:
        out["query_offset"] = group.query_offset
    if group.limit is not None:
        out["limit"] = group.limit
    if group.labels:
        out["labels"] = dict(group.labels)
    out["rules"] = rules
    return out


def promrule_groups(
    rule: PrometheusRule, scope: RuleScope
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The rule groups of a PrometheusRule's file, and why it is left out when it is (a label
    naming another namespace, an expression that cannot be restricted to the tenant)."""
    problems = enforced_label_problems(rule, scope.enforce_label)
    if problems:
        return [], problems
    groups = []
    for g, group in enumerate(rule.spec.groups):
        rules = []
        for r, item in enumerate(group.rules):
            try:
                rules.append(_rule(item, scope))
            except ValueError as error:  # PromQLError, InjectionError
                problems.append(Problem(f"spec.groups[{g}].rules[{r}].expr", str(error)))
        groups.append(_group(group, rules))
    return ([], problems) if problems else (groups, [])

"""Prometheus rule files from the AlertPolicies and BusinessKPIs a stack selects.

One rule group per object, one file per object: prometheus/rules/<namespace>__<name>.yaml for
an AlertPolicy, prometheus/rules/kpi__<namespace>__<name>.yaml for a BusinessKPI. Output
depends only on the input and keeps its order, so a hash of it changes only when the input
does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augur.api.resources import AlertPolicy, BusinessKPI, Problem
from augur.render.alerts import Rule, escalation_rules, static_alert_rule
from augur.render.anomaly import anomaly_rules
from augur.render.kpi import kpi_problems, kpi_rules
from augur.render.output import GENERATED_HEADER, ComponentOutput, dump_yaml
from augur.render.selection import StackInputs
from augur.render.tenancy import RuleScope, scope_for

RULES_DIR = "prometheus/rules"


@dataclass
class RuleFile:
    """The rule groups of one object and where they are written."""

    path: str
    source: str
    """'Kind/namespace/name' of the object the rules come from."""
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rule_count(self) -> int:
        """Rules in every group."""
        return sum(len(group["rules"]) for group in self.groups)

    def text(self) -> str:
        """The Prometheus rule file."""
        return GENERATED_HEADER + dump_yaml({"groups": self.groups})


@dataclass
class RenderedRules:
    """Every rule file of a stack, and the objects that could not be rendered."""

    files: list[RuleFile] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)


def policy_rules(policy: AlertPolicy, scope: RuleScope) -> list[Rule]:
    """The policy's rules: each alert in order (anomaly recordings first), then escalations."""
    rules: list[Rule] = []
    for alert in policy.spec.alerts:
        if alert.anomaly is not None:
            rules += anomaly_rules(policy.name, policy.spec, alert, scope)
        else:
            rules.append(static_alert_rule(policy.name, policy.spec, alert, scope))
    rules += escalation_rules(policy.name, policy.spec, scope)
    return rules


def policy_rule_file(policy: AlertPolicy, scope: RuleScope) -> RuleFile:
    """The rule file of one AlertPolicy."""
    groups = []
    rules = policy_rules(policy, scope)
    if rules:
        groups.append({"name": f"alertpolicy/{policy.key}", "rules": rules})
    return RuleFile(
        f"{RULES_DIR}/{policy.namespace}__{policy.name}.yaml", f"AlertPolicy/{policy.key}", groups
    )


def kpi_rule_file(kpi: BusinessKPI, scope: RuleScope) -> RuleFile:
    """The rule file of one BusinessKPI."""
    group = {"name": f"businesskpi/{kpi.key}", "rules": kpi_rules(kpi.name, kpi.spec, scope)}
    return RuleFile(
        f"{RULES_DIR}/kpi__{kpi.namespace}__{kpi.name}.yaml", f"BusinessKPI/{kpi.key}", [group]
    )


def stack_scope(inputs: StackInputs, namespace: str) -> RuleScope:
    """The scope of an object of `namespace` in this stack (tenancy from the stack)."""
    stack = inputs.stack
    return scope_for(namespace, stack.namespace, stack.spec.tenancy.enforce_namespace_label)


def render_rule_files(inputs: StackInputs) -> RenderedRules:
    """Every rule file of the stack, as data: policies first, then KPIs, in input order."""
    rendered = RenderedRules()
    for policy in inputs.alert_policies:
        try:
            rendered.files.append(policy_rule_file(policy, stack_scope(inputs, policy.namespace)))
        except ValueError as error:  # PromQLError, InjectionError: not valid PromQL
            rendered.rejected[f"AlertPolicy/{policy.key}"] = [Problem("spec", str(error))]
    for kpi in inputs.business_kpis:
        problems = kpi_problems(kpi.spec)
        if problems:
            rendered.rejected[f"BusinessKPI/{kpi.key}"] = problems
            continue
        try:
            rendered.files.append(kpi_rule_file(kpi, stack_scope(inputs, kpi.namespace)))
        except ValueError as error:  # PromQLError, InjectionError: not valid PromQL
            rendered.rejected[f"BusinessKPI/{kpi.key}"] = [Problem("spec", str(error))]
    return rendered


def render_rules_component(inputs: StackInputs) -> ComponentOutput:
    """Rule files under prometheus/rules/, one per selected AlertPolicy and BusinessKPI."""
    rendered = render_rule_files(inputs)
    output = ComponentOutput(rejected=rendered.rejected)
    for rule_file in rendered.files:
        output.files[rule_file.path] = rule_file.text()
        output.rule_count += rule_file.rule_count
    return output

"""Prometheus rule files from the AlertPolicies and BusinessKPIs a stack selects.

One file per object: prometheus/rules/<namespace>__<name>.yaml for an AlertPolicy,
prometheus/rules/kpi__<namespace>__<name>.yaml for a BusinessKPI (one rule group each), and
prometheus/rules/promrule__<namespace>__<name>.yaml for a prometheus-operator PrometheusRule
(its own groups, `augur.render.rules.promoperator`). Output
depends only on the input and keeps its order, so a hash of it changes only when the input
does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augur.api.promoperator_rules import PrometheusRule
from augur.api.resources import AlertPolicy, BusinessKPI, Problem
from augur.api.tenancy import enforced_label_problems
from augur.render.component_output import ComponentOutput
from augur.render.rules.alerts import Rule, escalation_rules, static_alert_rule
from augur.render.rules.anomaly import anomaly_rules
from augur.render.rules.kpi import kpi_problems, kpi_rules
from augur.render.rules.promoperator import promrule_file_name, promrule_groups
from augur.render.rules.records import record_rule
from augur.render.rules.tenancy import RuleScope, scope_for
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

RULES_DIR = "prometheus/rules"

RuleSource = AlertPolicy | BusinessKPI | PrometheusRule
"""An object that has a rule file."""


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
    """The policy's rules: its recording rules, then each alert in order (anomaly recordings
    first), then escalations."""
    rules: list[Rule] = [record_rule(record, scope) for record in policy.spec.records]
    for alert in policy.spec.alerts:
        if alert.anomaly is not None:
            rules += anomaly_rules(policy.name, policy.spec, alert, scope)
        else:
            rules.append(static_alert_rule(policy.name, policy.spec, alert, scope))
    rules += escalation_rules(policy.name, policy.spec, scope)
    return rules


def rule_file_path(kind: str, namespace: str, name: str) -> str:
    """Where the rule file of an AlertPolicy, a BusinessKPI or a PrometheusRule (`kind`) is
    written."""
    if kind == "PrometheusRule":
        return f"{RULES_DIR}/{promrule_file_name(namespace, name)}"
    prefix = "kpi__" if kind == "BusinessKPI" else ""
    return f"{RULES_DIR}/{prefix}{namespace}__{name}.yaml"


def policy_rule_file(policy: AlertPolicy, scope: RuleScope) -> RuleFile:
    """The rule file of one AlertPolicy."""
    groups = []
    rules = policy_rules(policy, scope)
    if rules:
        groups.append({"name": f"alertpolicy/{policy.key}", "rules": rules})
    path = rule_file_path("AlertPolicy", policy.namespace, policy.name)
    return RuleFile(path, f"AlertPolicy/{policy.key}", groups)


def kpi_rule_file(kpi: BusinessKPI, scope: RuleScope) -> RuleFile:
    """The rule file of one BusinessKPI."""
    group = {"name": f"businesskpi/{kpi.key}", "rules": kpi_rules(kpi.name, kpi.spec, scope)}
    path = rule_file_path("BusinessKPI", kpi.namespace, kpi.name)
    return RuleFile(path, f"BusinessKPI/{kpi.key}", [group])


def source_name(source: RuleSource) -> str:
    """'Kind/namespace/name' of an object that has a rule file."""
    return f"{source.kind_name}/{source.key}"


def promrule_file(rule: PrometheusRule, scope: RuleScope) -> RuleFile | list[Problem]:
    """The rule file of one PrometheusRule, or why it is left out."""
    groups, problems = promrule_groups(rule, scope)
    if problems:
        return problems
    path = rule_file_path("PrometheusRule", rule.namespace, rule.name)
    return RuleFile(path, source_name(rule), groups)


def render_rule_file(source: RuleSource, scope: RuleScope) -> RuleFile | list[Problem]:
    """The rule file of one selected object, or why it is left out: what both the full and the
    incremental render of a stack write for it."""
    if isinstance(source, PrometheusRule):
        return promrule_file(source, scope)
    problems = kpi_problems(source.spec) if isinstance(source, BusinessKPI) else []
    problems += enforced_label_problems(source.spec, scope.enforce_label)
    if problems:
        return problems
    try:
        if isinstance(source, AlertPolicy):
            return policy_rule_file(source, scope)
        return kpi_rule_file(source, scope)
    except ValueError as error:  # PromQLError, InjectionError: not valid PromQL
        return [Problem("spec", str(error))]


def stack_scope(inputs: StackInputs, namespace: str) -> RuleScope:
    """The scope of an object of `namespace` in this stack (tenancy from the stack)."""
    stack = inputs.stack
    return scope_for(namespace, stack.namespace, stack.spec.tenancy.enforce_namespace_label)


def rule_sources(inputs: StackInputs) -> list[RuleSource]:
    """The objects of the stack that have rule files, in render order: policies, then KPIs,
    then PrometheusRules."""
    return [*inputs.alert_policies, *inputs.business_kpis, *inputs.prometheus_rules]


def render_rule_files(inputs: StackInputs) -> RenderedRules:
    """Every rule file of the stack, as data: policies first, then KPIs, then PrometheusRules,
    in input order."""
    rendered = RenderedRules()
    for source in rule_sources(inputs):
        result = render_rule_file(source, stack_scope(inputs, source.namespace))
        if isinstance(result, RuleFile):
            rendered.files.append(result)
        else:
            rendered.rejected[source_name(source)] = result
    return rendered


def render_rules_component(inputs: StackInputs) -> ComponentOutput:
    """Rule files under prometheus/rules/, one per selected AlertPolicy, BusinessKPI and
    PrometheusRule."""
    rendered = render_rule_files(inputs)
    output = ComponentOutput(rejected=rendered.rejected)
    for rule_file in rendered.files:
        output.files[rule_file.path] = rule_file.text()
        output.rule_count += rule_file.rule_count
    return output

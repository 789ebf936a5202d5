"""Everything one MonitoringStack renders into: its objects and configuration files.

`render_stack` renders everything from scratch (`augur render`). `rerender_stack` gives the
same objects and files from the same inputs, but takes what the previous render of the stack
kept (a `StackMemo`) and renders again only what changed: the rule file of an object whose
model or rule scope is new, and the Alertmanager configuration only when the stack or some
policy's routing, receivers, inhibitions or time intervals changed. Both are pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from augur.api.resources import AlertPolicy, BusinessKPI, Problem
from augur.render.alertmanager import render_alertmanager_component
from augur.render.alertmanager_objects import render_alertmanager_workload
from augur.render.exposure import render_exposure_component
from augur.render.grafana import render_grafana_component
from augur.render.jaeger import render_jaeger_component
from augur.render.kpi import kpi_problems
from augur.render.output import GENERATED_HEADER, ComponentOutput, dump_yaml_documents
from augur.render.prometheus_objects import render_prometheus_component
from augur.render.rules import (
    kpi_rule_file,
    policy_rule_file,
    render_rules_component,
    stack_scope,
)
from augur.render.selection import StackInputs
from augur.render.tenancy import RuleScope


@dataclass(frozen=True)
class RenderedFile:
    """The rule file of one selected object as last rendered, with what it was rendered from
    (a rule file is a pure function of the object's model and its rule scope)."""

    source: AlertPolicy | BusinessKPI
    scope: RuleScope
    path: str
    text: str
    rule_count: int
    problems: tuple[Problem, ...] = ()
    """Why the object was left out (no file then)."""

    def renders(
        self, source: AlertPolicy | BusinessKPI, scope: RuleScope, *, same_object: bool = False
    ) -> bool:
        """True when rendering `source` in `scope` would give this file again (with
        `same_object`, only when `source` is the very object this file was rendered for)."""
        if self.scope != scope:
            return False
        return self.source is source or (not same_object and self.source == source)


@dataclass
class StackMemo:
    """What a render of a stack keeps for the next one."""

    rule_files: dict[str, RenderedFile] = field(default_factory=dict)
    """By 'Kind/namespace/name' of every selected AlertPolicy and BusinessKPI."""
    alertmanager_inputs: tuple[Any, ...] | None = None
    """What the Alertmanager configuration was rendered from (see `_alertmanager_inputs`)."""
    alertmanager: ComponentOutput | None = None

    def rule_count(self, kind: str, key: str) -> int:
        """Rules in the rule file of a selected object (0 when it has none)."""
        rendered = self.rule_files.get(f"{kind}/{key}")
        return rendered.rule_count if rendered is not None else 0


def _alertmanager_inputs(inputs: StackInputs) -> tuple[Any, ...]:
    """Everything the Alertmanager configuration reads: the stack, and of each policy in order
    its identity, routing, receivers, inhibitions and time intervals (never its alerts,
    defaults or tests, which only the rule files read)."""
    return (
        inputs.stack,
        tuple(
            (
                policy.metadata.namespace,
                policy.metadata.name,
                policy.spec.routing,
                policy.spec.receivers,
                policy.spec.inhibitions,
                policy.spec.time_intervals,
            )
            for policy in inputs.alert_policies
        ),
    )


def _render_file(source: AlertPolicy | BusinessKPI, scope: RuleScope) -> RenderedFile:
    """One object's rule file, or why it is left out (as `render_rule_files` decides)."""
    if isinstance(source, BusinessKPI):
        problems = kpi_problems(source.spec)
        if problems:
            return RenderedFile(source, scope, "", "", 0, tuple(problems))
    try:
        if isinstance(source, AlertPolicy):
            rule_file = policy_rule_file(source, scope)
        else:
            rule_file = kpi_rule_file(source, scope)
    except ValueError as error:  # PromQLError, InjectionError: not valid PromQL
        return RenderedFile(source, scope, "", "", 0, (Problem("spec", str(error)),))
    return RenderedFile(source, scope, rule_file.path, rule_file.text(), rule_file.rule_count)


def _rules(
    inputs: StackInputs,
    previous: Mapping[str, RenderedFile],
    whole: Callable[[AlertPolicy], AlertPolicy] | None,
) -> tuple[ComponentOutput, dict[str, RenderedFile]]:
    """The rules component (as `render_rules_component`), rendering only what changed."""
    output = ComponentOutput()
    kept: dict[str, RenderedFile] = {}
    sources: list[AlertPolicy | BusinessKPI] = [*inputs.alert_policies, *inputs.business_kpis]
    for source in sources:
        is_policy = isinstance(source, AlertPolicy)
        name = f"{'AlertPolicy' if is_policy else 'BusinessKPI'}/{source.key}"
        scope = stack_scope(inputs, source.namespace)
        outline = is_policy and whole is not None
        rendered = previous.get(name)
        if rendered is None or not rendered.renders(source, scope, same_object=outline):
            if outline:
                assert whole is not None and isinstance(source, AlertPolicy)
                rendered = replace(_render_file(whole(source), scope), source=source)
            else:
                rendered = _render_file(source, scope)
        kept[name] = rendered
        if rendered.problems:
            output.rejected[name] = list(rendered.problems)
            continue
        output.files[rendered.path] = rendered.text
        output.rule_count += rendered.rule_count
    return output, kept


def _assemble(
    inputs: StackInputs,
    rules: ComponentOutput,
    alertmanager_config: ComponentOutput,
    *,
    operator_namespace: str | None,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None,
) -> ComponentOutput:
    result = ComponentOutput(rejected={k: list(v) for k, v in inputs.rejected.items()})
    prometheus = render_prometheus_component(inputs, rules, operator_namespace=operator_namespace)
    alertmanager = render_alertmanager_workload(inputs, alertmanager_config)
    grafana = render_grafana_component(inputs, dashboard_config_maps=dashboard_config_maps)
    jaeger = render_jaeger_component(inputs)
    exposure = render_exposure_component(inputs, operator_namespace=operator_namespace)
    for output in (rules, alertmanager_config, prometheus, alertmanager, grafana, jaeger, exposure):
        result.merge(output)
    return result


def render_stack(
    inputs: StackInputs,
    *,
    operator_namespace: str | None = None,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> ComponentOutput:
    """Render every component of the stack; `files` includes manifests.yaml.

    Configuration renderers run first; the workload renderers build around their output
    (the rule files go into Prometheus' rule shards, the Alertmanager configuration into its
    Secret). `operator_namespace` is where the augur operator runs (for its scrape job and
    network policies); `dashboard_config_maps` are the stack namespace's ConfigMaps (name ->
    labels) that Grafana may load as user dashboards. Objects appear in manifests.yaml in
    render order."""
    result = _assemble(
        inputs,
        render_rules_component(inputs),
        render_alertmanager_component(inputs),
        operator_namespace=operator_namespace,
        dashboard_config_maps=dashboard_config_maps,
    )
    result.files["manifests.yaml"] = GENERATED_HEADER + (
        dump_yaml_documents(result.manifests) if result.manifests else ""
    )
    return result


def rerender_stack(
    inputs: StackInputs,
    previous: StackMemo | None = None,
    *,
    whole: Callable[[AlertPolicy], AlertPolicy] | None = None,
    operator_namespace: str | None = None,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[ComponentOutput, StackMemo]:
    """What `render_stack` renders, without manifests.yaml (the objects are in `manifests`),
    reusing from `previous` every rule file and the Alertmanager configuration whose inputs
    did not change; returns the output and what the next render may reuse.

    With `whole`, the AlertPolicies of `inputs` may be outlines (without their alerts and
    tests: what Alertmanager and selection read), one object per revision of a policy:
    `whole` gives the whole model, called only for a rule file that must be rendered, and a
    rule file is reused only for the very same outline object. `previous` is only read: the
    returned memo is a new one."""
    previous = previous or StackMemo()
    rules, rule_files = _rules(inputs, previous.rule_files, whole)
    am_inputs = _alertmanager_inputs(inputs)
    if previous.alertmanager is not None and previous.alertmanager_inputs == am_inputs:
        alertmanager_config = previous.alertmanager
    else:
        alertmanager_config = render_alertmanager_component(inputs)
    result = _assemble(
        inputs,
        rules,
        _copy(alertmanager_config),
        operator_namespace=operator_namespace,
        dashboard_config_maps=dashboard_config_maps,
    )
    return result, StackMemo(rule_files, am_inputs, alertmanager_config)


def _copy(output: ComponentOutput) -> ComponentOutput:
    """A copy that merging into another output cannot change (its containers are new)."""
    return ComponentOutput(
        files=dict(output.files),
        manifests=list(output.manifests),
        rule_count=output.rule_count,
        secret_keys=dict(output.secret_keys),
        rejected={k: list(v) for k, v in output.rejected.items()},
        warnings=list(output.warnings),
    )

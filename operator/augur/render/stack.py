"""Everything one MonitoringStack renders into: its objects and configuration files, and the
objects it owns once stamped with its identity (`desired_objects`).

`render_stack` renders everything from scratch (`augur render`). `rerender_stack` gives the
same objects and files from the same inputs, but takes what the previous render of the stack
kept (a `StackMemo`) and renders again only what changed: the rule file of an object whose
model or rule scope is new, and the Alertmanager configuration only when the stack or some
policy's routing, receivers, inhibitions or time intervals changed. Both are pure, and both
write each rule file with `augur.render.rules.files.render_rule_file`.

This module composes the components: it alone imports more than one of them, and hands each
what it needs of the others as typed values (the rule files to Prometheus, the
`AlertmanagerConfig` to the Alertmanager objects, the `StackEndpoints` of the programs to
Prometheus and Grafana, cluster monitoring's scrape jobs and rule file to Prometheus and its
dashboards to Grafana)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from augur.api.resources import AlertPolicy, MonitoringStack, Problem
from augur.render.alertmanager import ports as alertmanager_ports
from augur.render.alertmanager.config import (
    AlertmanagerConfig,
    config_output,
    render_stack_alertmanager_config,
)
from augur.render.alertmanager.credentials import Credentials
from augur.render.alertmanager.credentials import (
    credentials_secret_name as alertmanager_credentials_secret_name,
)
from augur.render.alertmanager.objects import render_alertmanager_workload
from augur.render.cluster.component import render_cluster_monitoring
from augur.render.component_output import ComponentOutput
from augur.render.grafana.objects import render_grafana_component
from augur.render.jaeger import ports as jaeger_ports
from augur.render.jaeger.objects import render_jaeger_component
from augur.render.k8s.endpoints import StackEndpoints
from augur.render.k8s.labels import RETAIN_ANNOTATION, StackRef, stamp
from augur.render.network_policies import render_network_policies
from augur.render.prometheus import ports as prometheus_ports
from augur.render.prometheus.credentials import CREDENTIALS_KEY_PREFIX as PROMETHEUS_KEY_PREFIX
from augur.render.prometheus.credentials import (
    credentials_secret_name as prometheus_credentials_secret_name,
)
from augur.render.prometheus.objects import render_prometheus
from augur.render.prometheus.rule_shards import Shards
from augur.render.rules.files import (
    RuleFile,
    RuleSource,
    render_rule_file,
    render_rules_component,
    rule_sources,
    source_name,
    stack_scope,
)
from augur.render.rules.tenancy import RuleScope
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml_documents


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """The rule file of one selected object as last rendered, with what it was rendered from
    (a rule file is a pure function of the object's model and its rule scope)."""

    source: RuleSource
    scope: RuleScope
    path: str
    text: str
    rule_count: int
    problems: tuple[Problem, ...] = ()
    """Why the object was left out (no file then)."""

    def renders(self, source: RuleSource, scope: RuleScope, *, same_object: bool = False) -> bool:
        """True when rendering `source` in `scope` would give this file again (with
        `same_object`, only when `source` is the very object this file was rendered for)."""
        if self.scope != scope:
            return False
        return self.source is source or (not same_object and self.source == source)


@dataclass
class StackMemo:
    """What a render of a stack keeps for the next one."""

    rule_files: dict[str, RenderedFile] = field(default_factory=dict)
    """By 'Kind/namespace/name' of every selected AlertPolicy, BusinessKPI and
    PrometheusRule."""
    alertmanager_inputs: tuple[Any, ...] | None = None
    """What the Alertmanager configuration was rendered from (see `_alertmanager_inputs`)."""
    alertmanager: AlertmanagerConfig | None = None
    shards: Shards | None = None
    """Prometheus' rule shards (None: Prometheus disabled): their count is what the next
    render keeps unless the rules need another."""

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


def _render_file(source: RuleSource, scope: RuleScope) -> RenderedFile:
    """One object's rule file (or why it is left out), with what it was rendered from."""
    result = render_rule_file(source, scope)
    if not isinstance(result, RuleFile):
        return RenderedFile(source, scope, "", "", 0, tuple(result))
    return RenderedFile(source, scope, result.path, result.text(), result.rule_count)


def _rules(
    inputs: StackInputs,
    previous: Mapping[str, RenderedFile],
    whole: Callable[[AlertPolicy], AlertPolicy] | None,
) -> tuple[ComponentOutput, dict[str, RenderedFile]]:
    """The rules component (as `render_rules_component`), rendering only what changed."""
    output = ComponentOutput()
    kept: dict[str, RenderedFile] = {}
    scopes: dict[str, RuleScope] = {}
    for source in rule_sources(inputs):
        name = source_name(source)
        scope = scopes.get(source.namespace)
        if scope is None:
            scope = scopes[source.namespace] = stack_scope(inputs, source.namespace)
        outline = isinstance(source, AlertPolicy) and whole is not None
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


def stack_endpoints(stack: MonitoringStack) -> StackEndpoints:
    """The ports of the stack's programs, as each names them, for the others to reach."""
    return StackEndpoints(
        prometheus_web=prometheus_ports.web_endpoint(stack),
        alertmanager_web=alertmanager_ports.web_endpoint(stack),
        alertmanager_reloader=alertmanager_ports.reloader_endpoint(),
        jaeger_query=jaeger_ports.query_endpoint(stack),
        jaeger_metrics=jaeger_ports.metrics_endpoint(),
    )


def _assemble(
    inputs: StackInputs,
    rules: ComponentOutput,
    alertmanager_config: AlertmanagerConfig | None,
    *,
    operator_namespace: str | None,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None,
    rule_shards: int | None,
) -> tuple[ComponentOutput, Shards | None]:
    result = ComponentOutput(rejected={k: list(v) for k, v in inputs.rejected.items()})
    peers = stack_endpoints(inputs.stack)
    cluster = render_cluster_monitoring(inputs)
    prometheus_rules = ComponentOutput(files={**rules.files, **cluster.rule_files})
    prometheus, shards = render_prometheus(
        inputs,
        prometheus_rules,
        peers,
        operator_namespace=operator_namespace,
        rule_shards=rule_shards,
        more_jobs=cluster.scrape,
    )
    alertmanager = render_alertmanager_workload(inputs, alertmanager_config)
    grafana = render_grafana_component(
        inputs,
        peers,
        dashboard_config_maps=dashboard_config_maps,
        more_dashboards=cluster.dashboards,
    )
    jaeger = render_jaeger_component(inputs)
    policies = render_network_policies(inputs, operator_namespace=operator_namespace)
    outputs = (
        rules,
        config_output(alertmanager_config),
        prometheus,
        alertmanager,
        grafana,
        jaeger,
        cluster.output,
        policies,
    )
    for output in outputs:
        result.merge(output)
    return result, shards


def render_stack(
    inputs: StackInputs,
    *,
    operator_namespace: str | None = None,
    dashboard_config_maps: Mapping[str, Mapping[str, str]] | None = None,
    rule_shards: int | None = None,
) -> ComponentOutput:
    """Render every component of the stack; `files` includes manifests.yaml.

    Configuration renderers run first; the workload renderers build around their output
    (the rule files go into Prometheus' rule shards, the Alertmanager configuration into its
    Secret). `operator_namespace` is where the augur operator runs (for its scrape job and
    network policies); `dashboard_config_maps` are the stack namespace's ConfigMaps (name ->
    labels) that Grafana may load as user dashboards; `rule_shards` is how many rule shards
    the stack's Prometheus mounts now (None: a new stack; see `rule_shards.shard_count`).
    Objects appear in manifests.yaml in render order."""
    result, _ = _assemble(
        inputs,
        render_rules_component(inputs),
        render_stack_alertmanager_config(inputs),
        operator_namespace=operator_namespace,
        dashboard_config_maps=dashboard_config_maps,
        rule_shards=rule_shards,
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
    rule_shards: int | None = None,
) -> tuple[ComponentOutput, StackMemo]:
    """What `render_stack` renders, without manifests.yaml (the objects are in `manifests`),
    reusing from `previous` every rule file and the Alertmanager configuration whose inputs
    did not change; returns the output and what the next render may reuse.

    With `whole`, the AlertPolicies of `inputs` may be outlines (without their alerts and
    tests: what Alertmanager and selection read), one object per revision of a policy:
    `whole` gives the whole model, called only for a rule file that must be rendered, and a
    rule file is reused only for the very same outline object. `rule_shards` is how many
    rule shards the stack's Prometheus mounts now; None: as many as `previous` placed the
    rules in (a new stack without it). `previous` is only read: the returned memo is a new
    one."""
    previous = previous or StackMemo()
    rules, rule_files = _rules(inputs, previous.rule_files, whole)
    am_inputs = _alertmanager_inputs(inputs)
    alertmanager_config: AlertmanagerConfig | None
    if previous.alertmanager is not None and previous.alertmanager_inputs == am_inputs:
        alertmanager_config = previous.alertmanager
    else:
        alertmanager_config = render_stack_alertmanager_config(inputs)
    if rule_shards is None and previous.shards is not None:
        rule_shards = previous.shards.count
    result, shards = _assemble(
        inputs,
        rules,
        alertmanager_config,
        operator_namespace=operator_namespace,
        dashboard_config_maps=dashboard_config_maps,
        rule_shards=rule_shards,
    )
    return result, StackMemo(rule_files, am_inputs, alertmanager_config, shards)


def credentials_secret_of(stack_name: str, key: str) -> str:
    """The credentials Secret that holds `key`: Prometheus' keys (prefixed) go to its own
    Secret, the rest to Alertmanager's, so neither program sees the other's."""
    if key.startswith(PROMETHEUS_KEY_PREFIX):
        return prometheus_credentials_secret_name(stack_name)
    return alertmanager_credentials_secret_name(stack_name)


def credentials_by_secret(stack_name: str, data: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Split the credentials by the Secret that mounts them (`credentials_secret_of`)."""
    split: dict[str, dict[str, str]] = {alertmanager_credentials_secret_name(stack_name): {}}
    for key, value in data.items():
        split.setdefault(credentials_secret_of(stack_name, key), {})[key] = value
    return split


def desired_objects(
    manifests: list[dict[str, Any]],
    stack: StackRef,
    credentials: Credentials,
    *,
    needs_credentials: bool,
    is_namespaced: Callable[[str, str], bool],
) -> list[dict[str, Any]]:
    """Every object the stack owns, with labels and owner references; the credentials Secrets
    carry `data` only."""
    secrets = credentials_by_secret(stack.name, credentials.data)
    objects = []
    found: set[str] = set()
    for manifest in manifests:
        # `stamp` copies the whole object: only what is changed here is copied first
        meta = dict(manifest.get("metadata") or {})
        obj = {**manifest, "metadata": meta}
        namespaced = is_namespaced(str(obj.get("apiVersion")), str(obj.get("kind")))
        if (
            obj.get("kind") == "Secret"
            and meta.get("name") in secrets
            and meta.get("namespace", stack.namespace) == stack.namespace
        ):
            obj.pop("stringData", None)
            obj["data"] = dict(secrets[meta["name"]])
            found.add(meta["name"])
        owned = meta.get("annotations", {}).get(RETAIN_ANNOTATION) != "true"
        objects.append(stamp(obj, stack, cluster_scoped=not namespaced, owned=owned))
    for name, data in sorted(secrets.items()):
        if name in found:
            continue
        is_alertmanager = name == alertmanager_credentials_secret_name(stack.name)
        if not data and not (is_alertmanager and needs_credentials):
            continue
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": stack.namespace},
            "type": "Opaque",
            "data": dict(data),
        }
        objects.append(stamp(secret, stack, cluster_scoped=False))
    return objects

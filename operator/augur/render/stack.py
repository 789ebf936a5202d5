"""Everything one MonitoringStack renders into: its objects and configuration files."""

from __future__ import annotations

from collections.abc import Mapping

from augur.render.alertmanager import render_alertmanager_component
from augur.render.alertmanager_objects import render_alertmanager_workload
from augur.render.exposure import render_exposure_component
from augur.render.grafana import render_grafana_component
from augur.render.jaeger import render_jaeger_component
from augur.render.output import GENERATED_HEADER, ComponentOutput, dump_yaml_documents
from augur.render.prometheus_objects import render_prometheus_component
from augur.render.rules import render_rules_component
from augur.render.selection import StackInputs


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
    result = ComponentOutput(rejected={k: list(v) for k, v in inputs.rejected.items()})
    rules = render_rules_component(inputs)
    alertmanager_config = render_alertmanager_component(inputs)
    prometheus = render_prometheus_component(inputs, rules, operator_namespace=operator_namespace)
    alertmanager = render_alertmanager_workload(inputs, alertmanager_config)
    grafana = render_grafana_component(inputs, dashboard_config_maps=dashboard_config_maps)
    jaeger = render_jaeger_component(inputs)
    exposure = render_exposure_component(inputs, operator_namespace=operator_namespace)
    for output in (rules, alertmanager_config, prometheus, alertmanager, grafana, jaeger, exposure):
        result.merge(output)
    result.files["manifests.yaml"] = GENERATED_HEADER + (
        dump_yaml_documents(result.manifests) if result.manifests else ""
    )
    return result

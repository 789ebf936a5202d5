"""Cluster monitoring as one component: the exporters' objects for the stack's manifests, and
for the other components (handed over by `augur.render.stack`) the scrape jobs, the rule file
and the dashboards."""

from __future__ import annotations

from dataclasses import dataclass, field

from augur.render.cluster.dashboards.boards import cluster_dashboards
from augur.render.cluster.objects import cluster_objects
from augur.render.cluster.rules import cluster_rule_files
from augur.render.cluster.scrape import cluster_scrape
from augur.render.component_output import ComponentOutput, Dashboard, ScrapeJobs
from augur.render.selection import StackInputs


@dataclass(frozen=True)
class ClusterMonitoringOutput:
    """What cluster monitoring renders, by who takes it."""

    output: ComponentOutput = field(default_factory=ComponentOutput)
    """The exporters' objects, and the rule file among the files `augur render` writes."""
    scrape: ScrapeJobs = field(default_factory=ScrapeJobs)
    """For Prometheus' configuration and RBAC."""
    rule_files: dict[str, str] = field(default_factory=dict)
    """For Prometheus' rule shards, by output path."""
    dashboards: tuple[Dashboard, ...] = ()
    """For Grafana."""


def render_cluster_monitoring(inputs: StackInputs) -> ClusterMonitoringOutput:
    """Everything `spec.clusterMonitoring` asks for (nothing when it is off). The exporters run
    whether or not the stack runs Prometheus (another Prometheus may scrape them); the jobs,
    rules and dashboards only with the stack's Prometheus."""
    stack = inputs.stack
    if not stack.spec.cluster_monitoring.enabled:
        return ClusterMonitoringOutput()
    manifests = cluster_objects(stack)
    if not stack.spec.prometheus.enabled:
        return ClusterMonitoringOutput(ComponentOutput(manifests=manifests))
    rule_files = cluster_rule_files(stack)
    return ClusterMonitoringOutput(
        output=ComponentOutput(files=dict(rule_files), manifests=manifests),
        scrape=cluster_scrape(stack),
        rule_files=rule_files,
        dashboards=tuple(cluster_dashboards(stack)),
    )

"""The cluster dashboards handed to Grafana: each only when a part it draws from runs."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.cluster.dashboards import nodes, overview, workloads
from augur.render.cluster.dashboards.queries import FOLDER
from augur.render.component_output import Dashboard


def cluster_dashboards(stack: MonitoringStack) -> list[Dashboard]:
    """The overview, nodes and workloads dashboards (none when dashboards are off); a
    dashboard none of whose parts runs is left out."""
    spec = stack.spec.cluster_monitoring
    if not spec.part("dashboards"):
        return []
    found = [Dashboard(overview.FILE, FOLDER, overview.overview_dashboard(spec))]
    if spec.node_exporter:
        found.append(Dashboard(nodes.FILE, FOLDER, nodes.nodes_dashboard(spec)))
    if spec.cadvisor or spec.kube_state_metrics or spec.kubelet:
        found.append(Dashboard(workloads.FILE, FOLDER, workloads.workloads_dashboard(spec)))
    return [board for board in found if board.data.get("panels")]

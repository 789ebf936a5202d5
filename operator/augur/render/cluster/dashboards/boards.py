"""The cluster dashboards handed to Grafana."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.component_output import Dashboard


def cluster_dashboards(stack: MonitoringStack) -> list[Dashboard]:
    """The cluster dashboards (none when dashboards are off)."""
    return []

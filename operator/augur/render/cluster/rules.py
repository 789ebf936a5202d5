"""augur's rules about the cluster (filled in below)."""

from __future__ import annotations

from augur.api.resources import MonitoringStack


def cluster_rule_files(stack: MonitoringStack) -> dict[str, str]:
    """The cluster rule file by its output path (none when rules are off)."""
    return {}

"""The kopf registry augur's controllers register into, and the resources they watch."""

from __future__ import annotations

from typing import Any

import kopf

from augur.api.common import GROUP

VERSION = "v1alpha1"
registry = kopf.OperatorRegistry()

STACKS = (GROUP, VERSION, "monitoringstacks")
ALERT_POLICIES = (GROUP, VERSION, "alertpolicies")
BUSINESS_KPIS = (GROUP, VERSION, "businesskpis")
SCALING_POLICIES = (GROUP, VERSION, "scalingpolicies")


def in_shard(labels: kopf.Labels, memo: kopf.Memo, **_: Any) -> bool:
    """kopf filter: the object (a stack, a ScalingPolicy) is this process's shard's."""
    return bool(memo["state"].in_shard(labels))

"""The finalizer of a deleted stack: kept, with backoff and a status that says why, until
everything outside its namespace is gone; the stack's applies are fenced first."""

from __future__ import annotations

from typing import Any

import kopf
import pytest

from augur.controllers.stack_cleanup import DELAY_MAX, cleanup_delay, cleanup_stack
from augur.controllers.state import OperatorConfig, OperatorState
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics
from augur.render.k8s.labels import StackRef

STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")
CLUSTER_ROLE = ObjectKey("rbac.authorization.k8s.io/v1", "ClusterRole", "", "platform-prometheus")


class FakeKube:
    """A ClusterRole of the stack; deleting it fails with `error`; statuses and Events kept."""

    def __init__(self) -> None:
        self.objects = {CLUSTER_ROLE}
        self.error: KubeError | None = None
        self.statuses: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def list_versions(self, api_version: str, kind: str, selector: str) -> list[Any]:
        return [(k, "1") for k in self.objects if k.kind == kind]

    def delete(self, key: ObjectKey, propagation: str = "Background") -> bool:
        if self.error is not None:
            raise self.error
        self.objects.discard(key)
        return True

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        self.statuses.append(status)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.events.append(obj)
        return obj


def state_with(kube: FakeKube) -> OperatorState:
    return OperatorState(OperatorConfig(), kube, OperatorMetrics.create())  # type: ignore[arg-type]


def test_backoff_doubles_from_5s_to_5min() -> None:
    assert [cleanup_delay(r) for r in range(8)] == [5, 10, 20, 40, 80, 160, 300, 300]
    assert cleanup_delay(10_000) == DELAY_MAX


@pytest.mark.parametrize(
    "error",
    [
        KubeError(403, "Forbidden", "clusterroles is forbidden"),
        KubeError(503, "ServiceUnavailable", "etcd is down"),
    ],
)
async def test_a_failed_cleanup_keeps_the_finalizer_and_says_why(error: KubeError) -> None:
    kube = FakeKube()
    kube.error = error
    state = state_with(kube)
    with pytest.raises(kopf.TemporaryError) as raised:
        await cleanup_stack(state, STACK, retry=3)
    assert raised.value.delay == 40
    assert kube.objects == {CLUSTER_ROLE}
    conditions = {c["type"]: c for c in kube.statuses[-1]["conditions"]}
    assert conditions["Reconciled"]["status"] == "False"
    assert conditions["Reconciled"]["reason"] == "CleanupFailed"
    assert f"ClusterRole/platform-prometheus: {error.reason}" in conditions["Reconciled"]["message"]
    assert "retrying in 40s" in conditions["Reconciled"]["message"]
    assert [e["reason"] for e in kube.events] == ["CleanupFailed"]
    assert state.fence(STACK.uid).closed, "applies are stopped before anything is deleted"
    kube.error = None
    result = await cleanup_stack(state, STACK, retry=4)
    assert result.deleted == [CLUSTER_ROLE] and kube.objects == set()

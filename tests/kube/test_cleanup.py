"""A deleted stack's cleanup and the fence that stops its applies: one failure does not stop
the rest, every failure is returned, and no sync applies anything once the fence is closed."""

from __future__ import annotations

import threading
from typing import Any, cast

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey, object_key
from augur.kube.sync import ApplyFence, StackObjects
from augur.render.k8s.labels import StackRef

STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")
RBAC = "rbac.authorization.k8s.io/v1"
CLUSTER_ROLE = ObjectKey(RBAC, "ClusterRole", "", "platform-prometheus")
CLUSTER_BINDING = ObjectKey(RBAC, "ClusterRoleBinding", "", "platform-prometheus")
ROLE = ObjectKey(RBAC, "Role", "shop", "platform-prometheus")
BINDING = ObjectKey(RBAC, "RoleBinding", "shop", "platform-prometheus")
OWNED = ObjectKey("v1", "ConfigMap", "monitoring", "platform-rules-0")


class LabelledCluster:
    """Objects carrying the stack's label; deletes fail with `errors` (per key or kind)."""

    def __init__(self, keys: list[ObjectKey]) -> None:
        self.objects = set(keys)
        self.errors: dict[ObjectKey | str, KubeError] = {}
        self.deleted: list[ObjectKey] = []
        self.applied: list[ObjectKey] = []

    def list_versions(self, api_version: str, kind: str, selector: str) -> list[Any]:
        assert selector == "augur.dev/stack-uid=uid-1"
        if kind in self.errors:
            raise self.errors[kind]
        if kind == "Ingress":
            raise KubeError(404, "NotFound", "the server has no kind Ingress")
        return [(k, "1") for k in self.objects if k.kind == kind]

    def delete(self, key: ObjectKey, propagation: str = "Background") -> bool:
        if key in self.errors:
            raise self.errors[key]
        self.deleted.append(key)
        if key in self.objects:
            self.objects.remove(key)
            return True
        return False

    def apply(self, obj: dict[str, Any], *, force: bool = True) -> dict[str, Any]:
        self.applied.append(object_key(obj))
        self.objects.add(object_key(obj))
        return {**obj, "metadata": {**obj["metadata"], "resourceVersion": "2"}}


def everything() -> LabelledCluster:
    return LabelledCluster([CLUSTER_ROLE, CLUSTER_BINDING, ROLE, BINDING, OWNED])


def test_cleanup_deletes_cluster_scoped_and_cross_namespace_objects_only() -> None:
    cluster = everything()
    result = StackObjects(cast(KubeClient, cluster), STACK).cleanup_unowned()
    assert sorted(result.deleted) == sorted([CLUSTER_ROLE, CLUSTER_BINDING, ROLE, BINDING])
    assert result.failures == {}
    assert cluster.objects == {OWNED}, "the stack's own namespace is left to the GC"


def test_a_permanent_failure_does_not_stop_the_rest_and_is_returned() -> None:
    cluster = everything()
    forbidden = KubeError(403, "Forbidden", "clusterroles is forbidden")
    cluster.errors[CLUSTER_ROLE] = forbidden
    cluster.errors["Role"] = KubeError(503, "ServiceUnavailable", "etcd")
    result = StackObjects(cast(KubeClient, cluster), STACK).cleanup_unowned()
    assert sorted(result.deleted) == sorted([CLUSTER_BINDING, BINDING])
    assert result.failures == {
        CLUSTER_ROLE: forbidden,
        ObjectKey(RBAC, "Role", "", "*"): cluster.errors["Role"],
    }
    # The next attempt, once the cause is gone, finishes the job.
    cluster.errors.clear()
    again = StackObjects(cast(KubeClient, cluster), STACK).cleanup_unowned()
    assert sorted(again.deleted) == sorted([CLUSTER_ROLE, ROLE])
    assert again.failures == {}
    assert cluster.objects == {OWNED}


def role(name: str) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": {"name": name, "namespace": "shop"},
        "rules": [],
    }


def test_a_closed_fence_refuses_every_later_sync() -> None:
    cluster = LabelledCluster([])
    fence = ApplyFence()
    objects = StackObjects(cast(KubeClient, cluster), STACK, fence=fence)
    objects.sync([role("a")], check_live=False)
    fence.close()
    result = objects.sync([role("a"), role("b")], check_live=False)
    assert result.fenced
    assert cluster.applied == [object_key(role("a"))]


class SlowCluster(LabelledCluster):
    """Blocks in the first apply until released, to close the fence mid-sync."""

    def __init__(self) -> None:
        super().__init__([])
        self.entered = threading.Event()
        self.release = threading.Event()

    def apply(self, obj: dict[str, Any], *, force: bool = True) -> dict[str, Any]:
        self.entered.set()
        assert self.release.wait(timeout=30)
        return super().apply(obj, force=force)


def test_closing_the_fence_waits_for_the_running_sync() -> None:
    """The cleanup runs after the fence closes; a sync in the middle of applying finishes
    first, so none of its applies lands after the cleanup."""
    cluster = SlowCluster()
    fence = ApplyFence()
    objects = StackObjects(cast(KubeClient, cluster), STACK, fence=fence)
    syncing = threading.Thread(
        target=objects.sync, args=([role("a"), role("b")],), kwargs={"check_live": False}
    )
    syncing.start()
    assert cluster.entered.wait(timeout=30)
    closing = threading.Thread(target=fence.close)
    closing.start()
    closing.join(timeout=0.2)
    assert closing.is_alive(), "close returned while a sync was still applying"
    cluster.release.set()
    closing.join(timeout=30)
    syncing.join(timeout=30)
    assert not closing.is_alive() and not syncing.is_alive()
    applied_before_close = list(cluster.applied)
    assert len(applied_before_close) == 2
    assert objects.sync([role("c")], check_live=False).fenced
    assert cluster.applied == applied_before_close

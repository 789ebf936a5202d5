"""Where a stack's objects are listed: everywhere cluster-wide, only where RBAC allows else."""

from __future__ import annotations

from typing import cast

import pytest

from augur.kube.client import KubeClient, ResourceInfo
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey, StackRef
from augur.kube.sync import PRUNABLE_KINDS, ListScope, StackObjects

STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding"}


class ListingClient:
    """Records every list call (kind, namespace); answers as an API server where the
    identity may list only in `allowed` namespaces (None: everywhere)."""

    def __init__(self, allowed: set[str] | None = None) -> None:
        self.allowed = allowed
        self.calls: list[tuple[str, str]] = []

    def resource_info(self, api_version: str, kind: str) -> ResourceInfo:
        return ResourceInfo(kind.lower() + "s", kind not in CLUSTER_SCOPED)

    def list_versions(
        self, api_version: str, kind: str, label_selector: str, *, namespace: str = ""
    ) -> list[tuple[ObjectKey, str]]:
        assert label_selector  # always by the stack's label
        self.calls.append((kind, namespace))
        if self.allowed is not None and namespace not in self.allowed:
            raise KubeError(403, "Forbidden", f"cannot list {kind} in {namespace!r}")
        return [(ObjectKey(api_version, kind, namespace or "monitoring", "x"), "1")]


def test_cluster_wide_lists_each_kind_once_across_all_namespaces() -> None:
    client = ListingClient()
    StackObjects(cast(KubeClient, client), STACK).live_versions(set(PRUNABLE_KINDS))
    assert sorted(client.calls) == sorted((kind, "") for _, kind in PRUNABLE_KINDS)


def test_listed_namespaces_list_each_namespaced_kind_in_each_and_never_cluster_scope() -> None:
    client = ListingClient(allowed={"monitoring", "shop"})
    scope = ListScope(("monitoring", "shop"), operator_namespace=None)
    live = StackObjects(cast(KubeClient, client), STACK, scope).live_versions(set(PRUNABLE_KINDS))
    namespaced = [kind for _, kind in PRUNABLE_KINDS if kind not in CLUSTER_SCOPED]
    assert sorted(client.calls) == sorted(
        (kind, ns) for kind in namespaced for ns in ("monitoring", "shop")
    )
    assert {key.namespace for key in live} == {"monitoring", "shop"}


def test_the_operators_own_namespace_is_listed_for_discovery_rbac_only() -> None:
    client = ListingClient(allowed={"monitoring", "augur-system"})
    scope = ListScope(("monitoring",), operator_namespace="augur-system")
    StackObjects(cast(KubeClient, client), STACK, scope).live_versions(set(PRUNABLE_KINDS))
    in_own = sorted(kind for kind, ns in client.calls if ns == "augur-system")
    assert in_own == ["Role", "RoleBinding"]


def test_an_operator_namespace_that_is_watched_is_listed_once() -> None:
    scope = ListScope(("augur-system", "shop"), operator_namespace="augur-system")
    assert scope.where("rbac.authorization.k8s.io/v1", "Role", True) == ["augur-system", "shop"]
    assert scope.where("v1", "Secret", True) == ["augur-system", "shop"]
    assert ListScope().where("v1", "Secret", True) is None


def test_forbidden_is_still_an_error() -> None:
    client = ListingClient(allowed={"monitoring"})
    scope = ListScope(("monitoring", "shop"))
    with pytest.raises(KubeError) as raised:
        StackObjects(cast(KubeClient, client), STACK, scope).live_versions({("v1", "Secret")})
    assert raised.value.status == 403


class DeletingClient(ListingClient):
    def __init__(self, allowed: set[str] | None = None) -> None:
        super().__init__(allowed)
        self.deleted: list[ObjectKey] = []

    def delete(self, key: ObjectKey) -> bool:
        self.deleted.append(key)
        return True


def test_cleanup_lists_only_where_the_scope_allows() -> None:
    # Regression: a stack's cleanup listed every kind across all namespaces; with Roles only
    # in the watched namespaces each list was Forbidden and the stack hung in deletion.
    client = DeletingClient(allowed={"monitoring", "shop"})
    scope = ListScope(("monitoring", "shop"), operator_namespace=None)
    result = StackObjects(cast(KubeClient, client), STACK, scope).cleanup_unowned()
    assert result.failures == {}
    assert {ns for _, ns in client.calls} == {"monitoring", "shop"}
    # what it found outside the stack's own namespace is deleted; the rest is the GC's
    assert {key.namespace for key in client.deleted} == {"shop"}

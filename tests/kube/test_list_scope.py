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

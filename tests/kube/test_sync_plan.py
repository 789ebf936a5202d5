"""Deciding what to apply, put back and prune; Secrets applied with data only."""

from __future__ import annotations

from augur.kube.ownership import ObjectKey
from augur.kube.sync import Applied, normalize, plan_sync
from augur.render.k8s.labels import StackRef, stamp

CM = ObjectKey("v1", "ConfigMap", "monitoring", "rules")
SECRET = ObjectKey("v1", "Secret", "monitoring", "creds")
OLD = ObjectKey("v1", "ConfigMap", "monitoring", "old")
STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")


def test_new_and_changed_objects_are_applied_unchanged_ones_are_not() -> None:
    applied = {CM: Applied("h1", "10"), SECRET: Applied("h2", "11")}
    plan = plan_sync({CM: "h1", SECRET: "changed"}, applied, None)
    assert plan.apply == [SECRET]
    assert plan.delete == []


def test_drift_is_put_back_and_unwanted_objects_pruned() -> None:
    applied = {CM: Applied("h1", "10"), SECRET: Applied("h2", "11")}
    live = {CM: "12", OLD: "3"}  # CM edited by hand, SECRET deleted, OLD no longer wanted
    plan = plan_sync({CM: "h1", SECRET: "h2"}, applied, live)
    assert plan.apply == [CM, SECRET]
    assert plan.delete == [OLD]


def test_objects_dropped_from_the_spec_are_pruned_without_a_listing() -> None:
    plan = plan_sync({CM: "h1"}, {CM: Applied("h1", "1"), OLD: Applied("x", "2")}, None)
    assert plan.delete == [OLD]


def test_secrets_are_applied_with_data_never_string_data() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "stringData": {"k": "v"}, "data": {"a": "Yg=="}}
    assert normalize(secret) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "data": {"a": "Yg==", "k": "dg=="},
    }


def test_stamp_sets_labels_and_owner_only_within_the_stack_namespace() -> None:
    same = stamp({"kind": "ConfigMap", "metadata": {"name": "a"}}, STACK, cluster_scoped=False)
    assert same["metadata"]["namespace"] == "monitoring"
    assert same["metadata"]["labels"]["augur.dev/stack-uid"] == "uid-1"
    assert same["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "augur"
    assert same["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    other = stamp(
        {"kind": "Role", "metadata": {"name": "a", "namespace": "shop"}},
        STACK,
        cluster_scoped=False,
    )
    assert "ownerReferences" not in other["metadata"]
    cluster = stamp({"kind": "ClusterRole", "metadata": {"name": "a"}}, STACK, cluster_scoped=True)
    assert "namespace" not in cluster["metadata"]
    assert "ownerReferences" not in cluster["metadata"]

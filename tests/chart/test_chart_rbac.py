"""The chart's RBAC: no wildcards, and exactly what the operator does, in both modes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from chartrender import CHART, NAMESPACE, Obj, allows, group_of, of_kind, plural, render, run_helm

from augur.api.resources import MonitoringStack
from augur.kube.sync import NEVER_PRUNED_KINDS, PRUNABLE_KINDS
from augur.render.prometheus.objects import DISCOVERY_RULES
from augur.render.selection import StackInputs
from augur.render.stack import render_stack

pytestmark = pytest.mark.tools

GOLDEN_MANIFESTS = sorted(
    (Path(__file__).parents[1] / "render" / "stack" / "golden").glob("*.manifests.yaml")
) + sorted((Path(__file__).parents[1] / "render" / "cluster" / "golden").glob("*.manifests.yaml"))
OWNED_VERBS = ("get", "list", "create", "patch")
WATCHED = ["shop", "monitoring"]


def _rules(objects: list[Obj], kind: str, namespace: str | None = None) -> list[Obj]:
    return [
        rule
        for role in of_kind(objects, kind)
        if namespace is None or role["metadata"].get("namespace") == namespace
        for rule in role["rules"]
    ]


def _bound_to_the_service_account(objects: list[Obj], binding_kind: str) -> list[str]:
    names = []
    for binding in of_kind(objects, binding_kind):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "augur", "namespace": NAMESPACE}
        ]
        names.append(binding["roleRef"]["name"])
    return names


@pytest.fixture(scope="module")
def cluster_wide(helm: Path) -> list[Obj]:
    return render(helm)


@pytest.fixture(scope="module")
def watched(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Obj]:
    return render(helm, {"watchNamespaces": WATCHED}, tmp_path_factory.mktemp("values"))


@pytest.mark.parametrize("mode", ["cluster_wide", "watched"])
def test_no_wildcards_and_no_escalation(mode: str, request: pytest.FixtureRequest) -> None:
    objects: list[Obj] = request.getfixturevalue(mode)
    rules = _rules(objects, "ClusterRole") + _rules(objects, "Role")
    assert rules
    for rule in rules:
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[key], rule
            assert not any("*" in item for item in rule[key]), rule
        assert not {"bind", "escalate", "impersonate", "deletecollection"} & set(rule["verbs"])
        assert "nonResourceURLs" not in rule


def test_cluster_wide_covers_every_kind_a_stack_renders(cluster_wide: list[Obj]) -> None:
    rules = _rules(cluster_wide, "ClusterRole")
    rendered: set[tuple[str, str]] = set()
    for path in GOLDEN_MANIFESTS:
        rendered |= {
            (group_of(doc["apiVersion"]), doc["kind"])
            for doc in yaml.safe_load_all(path.read_text())
            if doc
        }
    assert ("apps", "StatefulSet") in rendered  # the goldens were read
    assert ("apps", "DaemonSet") in rendered
    for group, kind in sorted(rendered):
        for verb in OWNED_VERBS:
            assert allows(rules, group, plural(kind), verb), (kind, verb)


def test_prunable_kinds_can_be_listed_and_deleted_and_volumes_never(
    cluster_wide: list[Obj],
) -> None:
    rules = _rules(cluster_wide, "ClusterRole")
    for api_version, kind in PRUNABLE_KINDS:
        for verb in ("list", "delete"):
            assert allows(rules, group_of(api_version), plural(kind), verb), (kind, verb)
    for kind in NEVER_PRUNED_KINDS:
        assert allows(rules, "", plural(kind), "create")
        assert not allows(rules, "", plural(kind), "delete"), kind


def _holds_discovery_rules(rules: list[Obj]) -> bool:
    return all(
        allows(rules, group, resource, verb)
        for granted in DISCOVERY_RULES
        for group in granted["apiGroups"]
        for resource in granted["resources"]
        for verb in granted["verbs"]
    )


def test_prometheus_discovery_rbac_needs_no_bind_or_escalate(
    cluster_wide: list[Obj], watched: list[Obj]
) -> None:
    # The API server lets augur create the discovery roles and bindings because it holds
    # every permission they grant, in the same scope.
    assert _holds_discovery_rules(_rules(cluster_wide, "ClusterRole"))
    for namespace in WATCHED:
        assert _holds_discovery_rules(_rules(watched, "Role", namespace))


def test_the_operator_can_do_what_kopf_and_its_handlers_need(cluster_wide: list[Obj]) -> None:
    rules = _rules(cluster_wide, "ClusterRole")
    for kind in ("monitoringstacks", "alertpolicies", "businesskpis", "scalingpolicies"):
        for verb in ("list", "watch"):
            assert allows(rules, "augur.dev", kind, verb)
        assert allows(rules, "augur.dev", f"{kind}/status", "patch")
    assert allows(rules, "augur.dev", "monitoringstacks", "patch")  # kopf's finalizer
    assert allows(rules, "augur.dev", "monitoringstacks/finalizers", "update")
    assert allows(rules, "", "namespaces", "watch")
    assert allows(rules, "apiextensions.k8s.io", "customresourcedefinitions", "watch")
    assert allows(rules, "", "events", "create")
    for verb in ("get", "list", "watch", "patch", "create"):
        assert allows(rules, "kopf.dev", "clusterkopfpeerings", verb)
    for resource in ("deployments/scale", "statefulsets/scale", "replicasets/scale"):
        assert allows(rules, "apps", resource, "get")
    assert allows(rules, "autoscaling", "horizontalpodautoscalers", "patch")
    assert allows(rules, "keda.sh", "scaledobjects", "patch")


def test_cluster_wide_mode_binds_cluster_roles(cluster_wide: list[Obj]) -> None:
    assert not of_kind(cluster_wide, "Role")
    assert not of_kind(cluster_wide, "RoleBinding")
    roles = {role["metadata"]["name"] for role in of_kind(cluster_wide, "ClusterRole")}
    assert sorted(_bound_to_the_service_account(cluster_wide, "ClusterRoleBinding")) == sorted(
        roles
    )


def test_watched_mode_grants_namespaced_access_only_in_the_listed_namespaces(
    watched: list[Obj],
) -> None:
    roles = [r for r in of_kind(watched, "Role") if r["metadata"]["namespace"] != NAMESPACE]
    assert sorted(role["metadata"]["namespace"] for role in roles) == sorted(WATCHED)
    bindings = [b for b in of_kind(watched, "RoleBinding") if b["metadata"]["namespace"] in WATCHED]
    assert len(bindings) == len(WATCHED)
    _bound_to_the_service_account(watched, "RoleBinding")
    # Cluster-wide, only read access to the cluster-scoped kinds kopf and the selectors need.
    cluster: list[dict[str, Any]] = _rules(watched, "ClusterRole")
    granted = {
        (group, resource)
        for rule in cluster
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert granted == {("", "namespaces"), ("apiextensions.k8s.io", "customresourcedefinitions")}
    assert all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in cluster)
    assert not allows(cluster, "", "secrets", "get")
    for namespace in WATCHED:
        rules = _rules(watched, "Role", namespace)
        assert allows(rules, "", "secrets", "get")
        assert allows(rules, "kopf.dev", "kopfpeerings", "patch")


def test_watched_mode_manages_only_discovery_roles_in_the_operators_namespace(
    watched: list[Obj], helm: Path, tmp_path: Path
) -> None:
    # Every stack scrapes the operator's pods: its Prometheus gets a discovery Role there.
    rules = _rules(watched, "Role", NAMESPACE)
    assert _holds_discovery_rules(rules)
    for verb in ("get", "list", "create", "patch", "delete"):
        assert allows(rules, "rbac.authorization.k8s.io", "roles", verb)
        assert allows(rules, "rbac.authorization.k8s.io", "rolebindings", verb)
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("", "pods"),
        ("", "services"),
        ("discovery.k8s.io", "endpointslices"),
    }
    assert [b["roleRef"]["name"] for b in of_kind(watched, "RoleBinding")
            if b["metadata"]["namespace"] == NAMESPACE] == ["augur-discovery"]  # fmt: skip
    # Watching its own namespace already gives all of that: no second Role.
    own = render(helm, {"watchNamespaces": [NAMESPACE]}, tmp_path)
    assert [r["metadata"]["name"] for r in of_kind(own, "Role")] == ["augur"]


@pytest.fixture(scope="module")
def monitoring_cluster(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Obj]:
    return render(helm, {"clusterMonitoring": {"enabled": True}}, tmp_path_factory.mktemp("cm"))


def _cluster_roles_a_stack_creates() -> list[Obj]:
    """Every ClusterRole a stack with all of cluster monitoring renders (kube-state-metrics',
    and Prometheus' with and without discovery in every namespace)."""
    roles: list[Obj] = []
    for selector in ({}, {"any": True}):
        stack = MonitoringStack.model_validate(
            {
                "apiVersion": "augur.dev/v1alpha1",
                "kind": "MonitoringStack",
                "metadata": {"name": "platform", "namespace": "monitoring"},
                "spec": {"clusterMonitoring": {"enabled": True}, "namespaceSelector": selector},
            }
        )
        roles += of_kind(render_stack(StackInputs(stack)).manifests, "ClusterRole")
    return roles


def _holds(rules: list[Obj], granted: Obj) -> bool:
    if "nonResourceURLs" in granted:
        return all(
            any(url in rule.get("nonResourceURLs", []) and verb in rule["verbs"] for rule in rules)
            for url in granted["nonResourceURLs"]
            for verb in granted["verbs"]
        )
    return all(
        allows(rules, group, resource, verb)
        for group in granted["apiGroups"]
        for resource in granted["resources"]
        for verb in granted["verbs"]
    )


def test_with_cluster_monitoring_augur_holds_what_it_grants(monitoring_cluster: list[Obj]) -> None:
    # Without bind or escalate the API server lets augur create these ClusterRoles only
    # when it holds every permission they grant.
    rules = _rules(monitoring_cluster, "ClusterRole")
    roles = _cluster_roles_a_stack_creates()
    assert {r["metadata"]["name"] for r in roles} >= {
        "augur-monitoring-platform-kube-state-metrics",
        "augur-monitoring-platform-prometheus",
    }
    for role in roles:
        for granted in role["rules"]:
            assert _holds(rules, granted), (role["metadata"]["name"], granted)


def test_cluster_monitoring_adds_only_reads_and_nothing_by_default(
    monitoring_cluster: list[Obj], cluster_wide: list[Obj]
) -> None:
    base = _rules(cluster_wide, "ClusterRole")
    new = [rule for rule in _rules(monitoring_cluster, "ClusterRole") if rule not in base]
    assert new
    for rule in new:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
        assert "nodes/proxy" not in rule.get("resources", [])
        assert rule.get("nonResourceURLs", ["/metrics"]) == ["/metrics"]
    assert not allows(base, "", "nodes", "list")
    assert not allows(base, "", "nodes/metrics", "get")
    assert not allows(base, "batch", "jobs", "list")
    # what the stack's exporters read, and nothing they do not
    assert not allows(new, "", "secrets", "list") and not allows(new, "", "configmaps", "list")


def test_cluster_monitoring_refuses_watched_namespaces(helm: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump({"clusterMonitoring": {"enabled": True}, "watchNamespaces": ["shop"]})
    )
    done = run_helm(helm, "template", "augur", str(CHART), "--values", str(values), check=False)
    assert done.returncode != 0
    assert "clusterMonitoring.enabled needs cluster-wide RBAC" in done.stderr


def test_the_operator_may_run_node_exporter_and_kube_state_metrics(
    cluster_wide: list[Obj],
) -> None:
    rules = _rules(cluster_wide, "ClusterRole")
    for verb in ("get", "list", "create", "patch", "delete"):
        assert allows(rules, "apps", "daemonsets", verb)


@pytest.mark.parametrize("mode", ["cluster_wide", "watched"])
def test_prometheus_operator_objects_are_read_and_never_written(
    mode: str, request: pytest.FixtureRequest
) -> None:
    """A stack loads PrometheusRules (and, later, ServiceMonitors and PodMonitors); augur
    lists and watches them where their CRDs exist, and writes nothing to them."""
    objects: list[Obj] = request.getfixturevalue(mode)
    rules = _rules(objects, "ClusterRole") + _rules(objects, "Role")
    for resource in ("prometheusrules", "servicemonitors", "podmonitors"):
        for verb in ("get", "list", "watch"):
            assert allows(rules, "monitoring.coreos.com", resource, verb), (resource, verb)
        for verb in ("create", "update", "patch", "delete"):
            assert not allows(rules, "monitoring.coreos.com", resource, verb), (resource, verb)
        assert not allows(rules, "monitoring.coreos.com", f"{resource}/status", "patch")
    granted = {
        r
        for rule in rules
        if "monitoring.coreos.com" in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert granted == {"prometheusrules", "servicemonitors", "podmonitors"}
    # kopf follows CRDs appearing (prometheus-operator's installed after augur) with list and
    # watch; it never reads one by name nor changes any
    crd_rules = [r for r in rules if "apiextensions.k8s.io" in r["apiGroups"]]
    assert [sorted(r["verbs"]) for r in crd_rules] == [["list", "watch"]]

"""What each switch of `spec.clusterMonitoring` renders, the access it grants (least
privilege), and the enforced label under tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.names import STACK_NAME_MAX
from augur.api.resources import MonitoringStack
from augur.dev.relabel import relabel
from augur.render.cluster.component import render_cluster_monitoring
from augur.render.cluster.objects import KSM_RESOURCES, cluster_objects
from augur.render.cluster.scrape import (
    API_SERVER_JOB,
    BASELINE_JOBS,
    CADVISOR_JOB,
    KSM_JOB,
    KUBELET_JOB,
    NODE_EXPORTER_JOB,
    TOKEN_FILE,
    cluster_scrape,
)
from augur.render.selection import StackInputs
from augur.render.stack import render_stack
from augur.status.statuses import StackOutcome, component_status, stack_conditions

Obj = dict[str, Any]
PARTS = ("nodeExporter", "kubeStateMetrics", "kubelet", "cadvisor", "apiServer", "coreDNS")


def _stack(cluster: Obj | None = None, **spec: Any) -> MonitoringStack:
    body: Obj = dict(spec)
    if cluster is not None:
        body["clusterMonitoring"] = cluster
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": body,
        }
    )


def _jobs(stack: MonitoringStack) -> dict[str, Obj]:
    return {job["job_name"]: job for job in cluster_scrape(stack).jobs}


def _of(manifests: list[Obj], kind: str, name_part: str = "") -> list[Obj]:
    return [m for m in manifests if m["kind"] == kind and name_part in m["metadata"]["name"]]


def test_off_by_default_renders_nothing_and_grants_nothing() -> None:
    stack = _stack()
    assert render_cluster_monitoring(StackInputs(stack)) == render_cluster_monitoring(
        StackInputs(_stack({"enabled": False}))
    )
    assert not cluster_objects(stack)
    assert cluster_scrape(stack).jobs == ()
    manifests = render_stack(StackInputs(stack)).manifests
    assert not _of(manifests, "ClusterRole")
    assert not _of(manifests, "DaemonSet")


def test_enabled_runs_every_part() -> None:
    stack = _stack({"enabled": True})
    assert set(_jobs(stack)) == set(BASELINE_JOBS)
    kinds = [(m["kind"], m["metadata"]["name"]) for m in cluster_objects(stack)]
    assert ("DaemonSet", "platform-node-exporter") in kinds
    assert ("Deployment", "platform-kube-state-metrics") in kinds
    assert ("ClusterRole", "augur-monitoring-platform-kube-state-metrics") in kinds


@pytest.mark.parametrize("part", PARTS)
def test_each_part_can_be_switched_off_alone(part: str) -> None:
    stack = _stack({"enabled": True, part: False})
    jobs = set(_jobs(stack))
    assert len(jobs) == len(BASELINE_JOBS) - 1
    objects = {m["metadata"]["name"] for m in cluster_objects(stack)}
    assert ("platform-node-exporter" in objects) == (part != "nodeExporter")
    assert ("platform-kube-state-metrics" in objects) == (part != "kubeStateMetrics")


def _prometheus_cluster_rules(stack: MonitoringStack) -> list[Obj]:
    manifests = render_stack(StackInputs(stack)).manifests
    return [rule for role in _of(manifests, "ClusterRole", "-prometheus") for rule in role["rules"]]


def test_prometheus_may_read_node_metrics_but_never_proxy_to_nodes() -> None:
    rules = _prometheus_cluster_rules(_stack({"enabled": True}))
    resources = {r for rule in rules for r in rule.get("resources", [])}
    assert {"nodes", "nodes/metrics"} <= resources
    assert "nodes/proxy" not in resources
    assert {"nonResourceURLs": ["/metrics"], "verbs": ["get"]} in rules
    for rule in rules:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}


def test_prometheus_gets_only_the_access_of_the_parts_that_run() -> None:
    rules = _prometheus_cluster_rules(
        _stack({"enabled": True, "kubelet": False, "cadvisor": False, "apiServer": False})
    )
    assert rules == []  # no ClusterRole at all: every remaining job discovers by namespace
    rules = _prometheus_cluster_rules(_stack({"enabled": True, "apiServer": False}))
    assert all("nonResourceURLs" not in rule for rule in rules)


def test_cluster_wide_discovery_and_node_access_share_one_cluster_role() -> None:
    stack = _stack({"enabled": True}, namespaceSelector={"any": True})
    manifests = render_stack(StackInputs(stack)).manifests
    [role] = _of(manifests, "ClusterRole", "-prometheus")
    resources = {r for rule in role["rules"] for r in rule.get("resources", [])}
    assert {"pods", "services", "endpointslices", "nodes", "nodes/metrics"} <= resources
    assert not _of(manifests, "Role", "-prometheus")


def test_prometheus_discovers_where_the_jobs_look() -> None:
    manifests = render_stack(StackInputs(_stack({"enabled": True}))).manifests
    namespaces = {r["metadata"]["namespace"] for r in _of(manifests, "Role", "-prometheus")}
    assert namespaces == {"monitoring", "default", "kube-system"}


def test_kube_state_metrics_reads_exactly_what_it_reports() -> None:
    manifests = cluster_objects(_stack({"enabled": True}))
    [role] = _of(manifests, "ClusterRole", "kube-state-metrics")
    granted = {
        (g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert granted == set(KSM_RESOURCES)
    assert all(rule["verbs"] == ["list", "watch"] for rule in role["rules"])
    assert ("", "secrets") not in granted and ("", "configmaps") not in granted
    [deployment] = _of(manifests, "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    [flag] = [a for a in args if a.startswith("--resources=")]
    assert set(flag.removeprefix("--resources=").split(",")) == {r for _, r in KSM_RESOURCES}


def test_node_exporter_sees_the_host_read_only_and_runs_on_every_node() -> None:
    [daemon_set] = _of(cluster_objects(_stack({"enabled": True})), "DaemonSet")
    pod = daemon_set["spec"]["template"]["spec"]
    assert pod["hostNetwork"] and pod["hostPID"]
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}  # a Linux program
    assert pod["automountServiceAccountToken"] is False
    paths = {v["hostPath"]["path"] for v in pod["volumes"]}
    assert paths == {"/proc", "/sys", "/"}
    [container] = pod["containers"]
    assert all(mount["readOnly"] for mount in container["volumeMounts"])
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_kubelet_jobs_use_prometheus_token_over_verified_tls() -> None:
    jobs = _jobs(_stack({"enabled": True}))
    for name in (KUBELET_JOB, CADVISOR_JOB, API_SERVER_JOB):
        assert jobs[name]["scheme"] == "https"
        assert jobs[name]["authorization"]["credentials_file"] == TOKEN_FILE
        assert "insecure_skip_verify" not in jobs[name]["tls_config"]
    assert jobs[CADVISOR_JOB]["metrics_path"] == "/metrics/cadvisor"
    assert jobs[KUBELET_JOB]["kubernetes_sd_configs"] == [{"role": "node"}]
    insecure = _jobs(_stack({"enabled": True, "kubeletInsecureSkipVerify": True}))
    assert insecure[KUBELET_JOB]["tls_config"]["insecure_skip_verify"] is True
    assert "insecure_skip_verify" not in insecure[API_SERVER_JOB]["tls_config"]


def test_kube_state_metrics_labels_are_honoured_and_its_pod_is_not_added() -> None:
    job = _jobs(_stack({"enabled": True}))[KSM_JOB]
    assert job["honor_labels"] is True
    targets = {r.get("target_label") for r in job["relabel_configs"]}
    assert targets == {None}  # keep rules only: no namespace, pod or service of its own


@pytest.mark.parametrize("label", ["namespace", "tenant"])
def test_under_tenancy_series_carry_the_enforced_label(label: str) -> None:
    stack = _stack({"enabled": True}, tenancy={"enforceNamespaceLabel": label})
    jobs = _jobs(stack)
    for name in (NODE_EXPORTER_JOB, API_SERVER_JOB):
        copied = {
            r["target_label"]
            for r in jobs[name]["relabel_configs"]
            if r.get("source_labels") == ["__meta_kubernetes_namespace"]
        }
        assert copied == {"namespace", label}
    for name in (KSM_JOB, KUBELET_JOB, CADVISOR_JOB):
        metric = jobs[name].get("metric_relabel_configs", [])
        from_series = [r for r in metric if r.get("target_label") == label]
        if label == "namespace":
            assert from_series == []  # the series' own namespace label is the enforced one
        else:
            # Dropped first, so a series can never bring a value of its own.
            assert metric.index({"action": "labeldrop", "regex": label}) < metric.index(
                from_series[0]
            )
            assert from_series[0]["source_labels"] == ["namespace"]


def test_without_prometheus_only_the_exporters_run() -> None:
    out = render_cluster_monitoring(
        StackInputs(_stack({"enabled": True}, prometheus={"enabled": False}))
    )
    assert out.output.manifests
    assert out.scrape.jobs == () and out.rule_files == {} and out.dashboards == ()


def test_a_daemon_set_is_ready_when_every_scheduled_pod_is() -> None:
    desired = {"kind": "DaemonSet", "spec": {"template": {"spec": {"containers": [{}]}}}}
    assert component_status(None, desired)["ready"] == "0/1"
    live = {
        "metadata": {"generation": 2},
        "status": {"observedGeneration": 2, "desiredNumberScheduled": 3, "numberReady": 2},
    }
    assert component_status(live, desired)["ready"] == "2/3"
    live["status"]["observedGeneration"] = 1
    assert component_status(live, desired)["ready"] == "0/1"


def test_kube_state_metrics_lets_in_only_the_stacks_prometheus() -> None:
    stack = _stack({"enabled": True}, networkPolicy={"enabled": True})
    manifests = render_stack(StackInputs(stack)).manifests
    [policy] = _of(manifests, "NetworkPolicy", "kube-state-metrics")
    [rule] = policy["spec"]["ingress"]
    assert rule["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "prometheus",
                    "app.kubernetes.io/instance": "platform",
                }
            }
        }
    ]
    [deployment] = _of(manifests, "Deployment", "kube-state-metrics")
    ports = {
        (p["containerPort"], p["protocol"])
        for c in deployment["spec"]["template"]["spec"]["containers"]
        for p in c["ports"]
    }
    assert {(p["port"], p["protocol"]) for p in rule["ports"]} <= ports
    assert policy["spec"]["podSelector"] == deployment["spec"]["selector"]
    without = _stack(
        {"enabled": True}, networkPolicy={"enabled": True}, prometheus={"enabled": False}
    )
    assert not _of(render_stack(StackInputs(without)).manifests, "NetworkPolicy", "kube-state")
    off = _stack({"enabled": True, "kubeStateMetrics": False}, networkPolicy={"enabled": True})
    assert not _of(render_stack(StackInputs(off)).manifests, "NetworkPolicy", "kube-state")


def test_a_series_enforced_label_is_its_own_namespace_and_cannot_be_brought() -> None:
    # Prometheus' relabelling, as the live stack simulates it (augur.dev.relabel).
    stack = _stack({"enabled": True}, tenancy={"enforceNamespaceLabel": "tenant"})
    for name in (KSM_JOB, KUBELET_JOB, CADVISOR_JOB):
        rules = _jobs(stack)[name]["metric_relabel_configs"]
        pod = {"__name__": "x", "namespace": "shop", "pod": "api-1", "tenant": "ml"}
        assert relabel(pod, rules) == {
            "__name__": "x",
            "namespace": "shop",
            "pod": "api-1",
            "tenant": "shop",
        }
        node = {"__name__": "x", "node": "n1", "tenant": "ml"}
        assert relabel(node, rules) == {"__name__": "x", "node": "n1"}


def test_a_node_down_does_not_make_the_stack_unready() -> None:
    # node-exporter not ready on one node of three: the node's trouble, reported by the
    # cluster alerts; the stack stays Ready. Not ready anywhere: the stack waits for it.
    def ready(components: dict[str, dict[str, str]]) -> str:
        outcome = StackOutcome(generation=1, components=components)
        [cond] = [c for c in stack_conditions(outcome) if c.type == "Ready"]
        return f"{cond.status} {cond.message}"

    assert ready({"prometheus": {"ready": "1/1"}, "node-exporter": {"ready": "2/3"}}).startswith(
        "True"
    )
    assert ready({"prometheus": {"ready": "1/1"}, "node-exporter": {"ready": "0/0"}}).startswith(
        "True"
    )
    assert (
        ready({"prometheus": {"ready": "1/1"}, "node-exporter": {"ready": "0/3"}})
        == "False waiting for node-exporter 0/3"
    )
    assert ready({"kube-state-metrics": {"ready": "0/1"}}).startswith("False")


def test_the_longest_stack_name_gives_valid_object_names() -> None:
    name = "s" * STACK_NAME_MAX
    stack = MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": name, "namespace": "n" * 63},
            "spec": {"clusterMonitoring": {"enabled": True}},
        }
    )
    for obj in cluster_objects(stack):
        limit = 63 if obj["kind"] in ("Service", "DaemonSet", "Deployment") else 253
        assert len(obj["metadata"]["name"]) <= limit, obj["metadata"]["name"]

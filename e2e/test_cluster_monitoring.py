"""Baseline cluster monitoring on a real control plane, as the chart's identity: the operator
may create kube-state-metrics' and Prometheus' ClusterRoles only because the chart's
`clusterMonitoring.enabled` gives it the access they grant (it holds no `escalate`), and a
deleted stack leaves none of its cluster-scoped objects behind."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from augur.api.clustermonitoring import ClusterMonitoring
from augur.render.cluster.dashboards import overview
from augur.render.cluster.rules import CERTIFICATE_ALERTS
from e2e.conftest import Cluster
from e2e.operator_fixtures import condition, get, start_operator, wait_for
from e2e.test_install import CHART, NO_WEBHOOK, Release, _helm, _token_kubeconfig

STACK = "cm"


@pytest.fixture(scope="module")
def helm() -> Path:
    from augur.dev.tools import tool_path

    return tool_path("helm")


def _release(helm: Path, cluster: Cluster, tmp: Path, name: str, *values: str) -> Iterator[Release]:
    namespace = f"{name}-{uuid.uuid4().hex[:6]}"
    _helm(helm, cluster, "install", name, str(CHART), "-n", namespace, "--create-namespace",
          *NO_WEBHOOK, *values)  # fmt: skip
    yield Release(name, namespace, _token_kubeconfig(cluster, namespace, name, tmp / "sa.yaml"))
    _helm(helm, cluster, "uninstall", name, "-n", namespace, "--wait")
    cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture(scope="module")
def monitoring(
    helm: Path, crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    tmp = tmp_path_factory.mktemp("cm")
    yield from _release(
        helm, crds_installed, tmp, "augur-cm", "--set", "clusterMonitoring.enabled=true"
    )


@pytest.fixture(scope="module")
def plain(
    helm: Path, crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    yield from _release(helm, crds_installed, tmp_path_factory.mktemp("plain"), "augur-plain")


def _cluster_role(name: str, rules: list[dict[str, object]]) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": rules,
        }
    )


NODE_METRICS = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
    {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
]


def test_only_the_cluster_monitoring_release_may_grant_node_metrics(
    monitoring: Release, plain: Release, cluster: Cluster
) -> None:
    metrics = ("get", "nodes", "--subresource=metrics")
    assert monitoring.can(*metrics) and not plain.can(*metrics)
    assert monitoring.can("list", "jobs.batch", "-A") and not plain.can("list", "jobs.batch", "-A")
    assert not monitoring.can("get", "nodes", "--subresource=proxy")
    assert not monitoring.can("escalate", "clusterroles.rbac.authorization.k8s.io")
    name = f"e2e-grant-{uuid.uuid4().hex[:6]}"
    refused = plain.identity.kubectl(
        "create", "-f", "-", stdin=_cluster_role(name, NODE_METRICS), check=False
    )
    assert refused.returncode != 0 and "forbidden" in refused.stderr.lower()
    monitoring.identity.kubectl("create", "-f", "-", stdin=_cluster_role(name, NODE_METRICS))
    cluster.kubectl("delete", "clusterrole", name)


def test_a_stack_monitors_its_cluster_as_the_charts_identity(
    monitoring: Release, cluster: Cluster, tmp_path: Path
) -> None:
    namespace = f"cm-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    stack = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": STACK, "namespace": namespace},
        "spec": {
            "clusterMonitoring": {"enabled": True},
            "grafana": {"enabled": False},
            "jaeger": {"enabled": False},
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(stack))
    operator = start_operator(monitoring.identity, tmp_path / "operator.log", "e2e-cm")
    prefix = f"augur-{namespace}-{STACK}"
    try:

        def reconciled() -> bool:
            found = get(cluster, "mstack", STACK, "-n", namespace)
            return (condition(found, "Reconciled") or {}).get("status") == "True"

        wait_for("the stack reconciled with cluster monitoring", reconciled, timeout=240)
        assert get(cluster, "daemonset", f"{STACK}-node-exporter", "-n", namespace)
        assert get(cluster, "deployment", f"{STACK}-kube-state-metrics", "-n", namespace)
        ksm = get(cluster, "clusterrole", f"{prefix}-kube-state-metrics")
        prometheus = get(cluster, "clusterrole", f"{prefix}-prometheus")
        assert ksm is not None and prometheus is not None
        assert {"nodes/metrics"} <= {
            r for rule in prometheus["rules"] for r in rule.get("resources", [])
        }
        for where in ("default", "kube-system"):
            assert get(cluster, "role", f"{STACK}-prometheus", "-n", where), where
        text = operator.text()
        assert "forbidden" not in text.lower(), text[-4000:]

        cluster.kubectl("delete", "mstack", STACK, "-n", namespace, "--wait=true", "--timeout=120s")
        for role in ("kube-state-metrics", "prometheus"):
            wait_for(
                f"ClusterRole {prefix}-{role} deleted with the stack",
                lambda role=role: get(cluster, "clusterrole", f"{prefix}-{role}") is None,
            )
        assert get(cluster, "role", f"{STACK}-prometheus", "-n", "kube-system") is None
    finally:
        operator.stop()
        cluster.kubectl("delete", "mstack", STACK, "-n", namespace, "--ignore-not-found",
                        "--wait=false", check=False)  # fmt: skip
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_the_api_server_exposes_the_series_augur_reads(cluster: Cluster) -> None:
    # The metric names of the API server's /metrics (Kubernetes 1.33) that augur's cluster
    # rules and dashboards read, as the stack's Prometheus would get them (GET /metrics).
    exposed = cluster.kubectl("get", "--raw", "/metrics").stdout
    names = {line.split("{")[0].split(" ")[0] for line in exposed.splitlines() if line[:1] != "#"}
    read = " ".join(a.expr for a in CERTIFICATE_ALERTS if a.part == "api_server")
    read += json.dumps(overview.overview_dashboard(ClusterMonitoring(enabled=True)))
    wanted = {n for n in re.findall(r"\b(apiserver_[a-z_]+)", read)}
    assert wanted >= {
        "apiserver_client_certificate_expiration_seconds_bucket",
        "apiserver_request_total",
    }
    assert wanted <= names, sorted(wanted - names)

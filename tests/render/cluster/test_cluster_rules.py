"""augur's cluster rules behave: for every alert a `promtool test rules` suite where it fires
on the series that show the trouble, and one where it stays quiet on series that look alike
but are fine (below the threshold, not growing, excluded, or mid-rollout)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.resources import MonitoringStack
from augur.render.cluster.rules import (
    CLUSTER_ALERTS,
    CLUSTER_RULES_FILE,
    cluster_alerts,
    cluster_rule_files,
)

Obj = dict[str, Any]

NE = (
    'job="augur/node-exporter", instance="10.0.0.1:9100", node="n1", namespace="monitoring",'
    ' pod="platform-node-exporter-x1", container="node-exporter"'
)
KSM = 'job="augur/kube-state-metrics", instance="10.1.0.7:8080"'
KUBELET = 'job="augur/kubelet", instance="10.0.0.1:10250", node="n1"'
API = 'job="augur/apiserver", instance="10.0.0.2:6443", namespace="default", service="kubernetes"'
FS = 'device="/dev/sda1", fstype="ext4", mountpoint="/"'
POD = 'namespace="shop", pod="api-1", container="api"'


@dataclass(frozen=True)
class Case:
    """Series on which the alert fires at `at` (with `labels` among its own), and series on
    which it never fires until `quiet_at`."""

    fires: list[tuple[str, str]]
    at: str
    labels: dict[str, str]
    quiet: list[tuple[str, str]]
    quiet_at: str = "60m"


def _histogram(bucket_with_all: str) -> list[tuple[str, str]]:
    """Client certificate lifetimes, every observation at most `bucket_with_all` seconds."""
    bounds = ["0", "86400", "604800", "2592000", "+Inf"]
    series = []
    for le in bounds:
        counted = le == "+Inf" or float(le) >= float(bucket_with_all)
        series.append(
            (
                f'apiserver_client_certificate_expiration_seconds_bucket{{{API}, le="{le}"}}',
                "0+1x60" if counted else "0x60",
            )
        )
    series.append((f"apiserver_client_certificate_expiration_seconds_count{{{API}}}", "0+1x60"))
    return series


def _missing(job: str) -> Case:
    """Only another job's targets: fires. The job's target found but down: quiet (that is
    TargetDown's)."""
    return Case(
        [('up{job="augur/prometheus", instance="b"}', "1x40")],
        "20m",
        {"job": job},
        [(f'up{{job="{job}", instance="a"}}', "0x60")],
    )


CASES: dict[str, Case] = {
    "NodeNotReady": Case(
        [
            (
                f'kube_node_status_condition{{{KSM}, node="n1", condition="Ready", status="true"}}',
                "0x30",
            )
        ],
        "20m",
        {"node": "n1"},
        [
            (
                f'kube_node_status_condition{{{KSM}, node="n1", condition="Ready", status="true"}}',
                "1x60",
            )
        ],
    ),
    "NodeMemoryPressure": Case(
        [
            (
                f'kube_node_status_condition{{{KSM}, node="n1", condition="MemoryPressure", status="true"}}',
                "1x30",
            )
        ],
        "10m",
        {"node": "n1"},
        [
            (
                f'kube_node_status_condition{{{KSM}, node="n1", condition="MemoryPressure", status="true"}}',
                "0x60",
            )
        ],
    ),
    "NodeMemoryAlmostExhausted": Case(
        [
            (f"node_memory_MemAvailable_bytes{{{NE}}}", "5x30"),
            (f"node_memory_MemTotal_bytes{{{NE}}}", "100x30"),
        ],
        "20m",
        {"node": "n1"},
        [
            (f"node_memory_MemAvailable_bytes{{{NE}}}", "50x60"),
            (f"node_memory_MemTotal_bytes{{{NE}}}", "100x60"),
        ],
    ),
    "NodeCPUSaturated": Case(
        [(f'node_cpu_seconds_total{{{NE}, cpu="0", mode="idle"}}', "0+3x60")],
        "45m",
        {"node": "n1"},
        [(f'node_cpu_seconds_total{{{NE}, cpu="0", mode="idle"}}', "0+54x60")],
    ),
    "NodeFilesystemFillingUp": Case(
        [
            (f"node_filesystem_avail_bytes{{{NE}, {FS}}}", "190-1x120"),
            (f"node_filesystem_size_bytes{{{NE}, {FS}}}", "1000x120"),
            (f"node_filesystem_readonly{{{NE}, {FS}}}", "0x120"),
        ],
        "90m",
        {"node": "n1", "mountpoint": "/"},
        # as little free, but not shrinking
        [
            (f"node_filesystem_avail_bytes{{{NE}, {FS}}}", "190x120"),
            (f"node_filesystem_size_bytes{{{NE}, {FS}}}", "1000x120"),
            (f"node_filesystem_readonly{{{NE}, {FS}}}", "0x120"),
        ],
        "120m",
    ),
    "NodeFilesystemAlmostFull": Case(
        [
            (f"node_filesystem_avail_bytes{{{NE}, {FS}}}", "40x60"),
            (f"node_filesystem_size_bytes{{{NE}, {FS}}}", "1000x60"),
            (f"node_filesystem_readonly{{{NE}, {FS}}}", "0x60"),
        ],
        "40m",
        {"node": "n1", "mountpoint": "/"},
        # memory-backed, and read-only: neither is written to full
        [
            (
                f'node_filesystem_avail_bytes{{{NE}, device="tmpfs", fstype="tmpfs", mountpoint="/run"}}',
                "1x60",
            ),
            (
                f'node_filesystem_size_bytes{{{NE}, device="tmpfs", fstype="tmpfs", mountpoint="/run"}}',
                "1000x60",
            ),
            (
                f'node_filesystem_readonly{{{NE}, device="tmpfs", fstype="tmpfs", mountpoint="/run"}}',
                "0x60",
            ),
            (f"node_filesystem_avail_bytes{{{NE}, {FS}}}", "10x60"),
            (f"node_filesystem_size_bytes{{{NE}, {FS}}}", "1000x60"),
            (f"node_filesystem_readonly{{{NE}, {FS}}}", "1x60"),
        ],
    ),
    "PodCrashLooping": Case(
        [
            (
                f'kube_pod_container_status_waiting_reason{{{KSM}, {POD}, reason="CrashLoopBackOff"}}',
                "1x30",
            )
        ],
        "20m",
        {"namespace": "shop", "pod": "api-1"},
        [
            (
                f'kube_pod_container_status_waiting_reason{{{KSM}, {POD}, reason="ContainerCreating"}}',
                "1x60",
            )
        ],
    ),
    "PodNotReady": Case(
        [
            (
                f'kube_pod_status_phase{{{KSM}, namespace="shop", pod="api-1", phase="Running"}}',
                "1x30",
            ),
            (
                f'kube_pod_status_ready{{{KSM}, namespace="shop", pod="api-1", condition="false"}}',
                "1x30",
            ),
            (
                f'kube_pod_status_phase{{{KSM}, namespace="shop", pod="api-2", phase="Pending"}}',
                "1x30",
            ),
        ],
        "20m",
        {"namespace": "shop", "pod": "api-2"},
        # ready; and a Job's pod waiting for its turn
        [
            (
                f'kube_pod_status_phase{{{KSM}, namespace="shop", pod="api-1", phase="Running"}}',
                "1x60",
            ),
            (
                f'kube_pod_status_ready{{{KSM}, namespace="shop", pod="api-1", condition="false"}}',
                "0x60",
            ),
            (
                f'kube_pod_status_phase{{{KSM}, namespace="shop", pod="batch-1", phase="Pending"}}',
                "1x60",
            ),
            (
                f'kube_pod_owner{{{KSM}, namespace="shop", pod="batch-1", owner_kind="Job", owner_name="batch"}}',
                "1x60",
            ),
        ],
    ),
    "PodEvicted": Case(
        [
            (
                f'kube_pod_status_reason{{{KSM}, namespace="shop", pod="api-1", reason="Evicted"}}',
                "0 0 1x10",
            )
        ],
        "5m",
        {"namespace": "shop", "pod": "api-1"},
        [
            (
                f'kube_pod_status_reason{{{KSM}, namespace="shop", pod="api-1", reason="Evicted"}}',
                "0x60",
            )
        ],
    ),
    "ContainerOOMKilled": Case(
        [
            (
                f'kube_pod_container_status_last_terminated_reason{{{KSM}, {POD}, reason="OOMKilled"}}',
                "1x30",
            ),
            (f"kube_pod_container_status_restarts_total{{{KSM}, {POD}}}", "3 3 3 3 3 4x25"),
        ],
        "10m",
        {"namespace": "shop", "pod": "api-1", "container": "api"},
        # killed long ago, running since
        [
            (
                f'kube_pod_container_status_last_terminated_reason{{{KSM}, {POD}, reason="OOMKilled"}}',
                "1x60",
            ),
            (f"kube_pod_container_status_restarts_total{{{KSM}, {POD}}}", "3x60"),
        ],
    ),
    "DeploymentReplicasMismatch": Case(
        [
            (f'kube_deployment_spec_replicas{{{KSM}, namespace="shop", deployment="api"}}', "3x30"),
            (
                f'kube_deployment_status_replicas_available{{{KSM}, namespace="shop", deployment="api"}}',
                "2x30",
            ),
            (
                f'kube_deployment_status_replicas_updated{{{KSM}, namespace="shop", deployment="api"}}',
                "3x30",
            ),
        ],
        "20m",
        {"namespace": "shop", "deployment": "api"},
        # a rollout making progress all along
        [
            (f'kube_deployment_spec_replicas{{{KSM}, namespace="shop", deployment="api"}}', "3x60"),
            (
                f'kube_deployment_status_replicas_available{{{KSM}, namespace="shop", deployment="api"}}',
                "2x60",
            ),
            (
                f'kube_deployment_status_replicas_updated{{{KSM}, namespace="shop", deployment="api"}}',
                "0+1x60",
            ),
        ],
    ),
    "StatefulSetReplicasMismatch": Case(
        [
            (f'kube_statefulset_replicas{{{KSM}, namespace="shop", statefulset="db"}}', "3x30"),
            (
                f'kube_statefulset_status_replicas_ready{{{KSM}, namespace="shop", statefulset="db"}}',
                "1x30",
            ),
            (
                f'kube_statefulset_status_replicas_updated{{{KSM}, namespace="shop", statefulset="db"}}',
                "3x30",
            ),
        ],
        "20m",
        {"namespace": "shop", "statefulset": "db"},
        [
            (f'kube_statefulset_replicas{{{KSM}, namespace="shop", statefulset="db"}}', "3x60"),
            (
                f'kube_statefulset_status_replicas_ready{{{KSM}, namespace="shop", statefulset="db"}}',
                "3x60",
            ),
            (
                f'kube_statefulset_status_replicas_updated{{{KSM}, namespace="shop", statefulset="db"}}',
                "3x60",
            ),
        ],
    ),
    "DaemonSetReplicasMismatch": Case(
        [
            (
                f'kube_daemonset_status_desired_number_scheduled{{{KSM}, namespace="kube-system", daemonset="cni"}}',
                "5x30",
            ),
            (
                f'kube_daemonset_status_number_available{{{KSM}, namespace="kube-system", daemonset="cni"}}',
                "4x30",
            ),
        ],
        "20m",
        {"namespace": "kube-system", "daemonset": "cni"},
        [
            (
                f'kube_daemonset_status_desired_number_scheduled{{{KSM}, namespace="kube-system", daemonset="cni"}}',
                "5x60",
            ),
            (
                f'kube_daemonset_status_number_available{{{KSM}, namespace="kube-system", daemonset="cni"}}',
                "5x60",
            ),
        ],
    ),
    "HorizontalPodAutoscalerAtMaxReplicas": Case(
        [
            (
                f'kube_horizontalpodautoscaler_status_current_replicas{{{KSM}, namespace="shop", horizontalpodautoscaler="api"}}',
                "10x30",
            ),
            (
                f'kube_horizontalpodautoscaler_spec_max_replicas{{{KSM}, namespace="shop", horizontalpodautoscaler="api"}}',
                "10x30",
            ),
        ],
        "20m",
        {"namespace": "shop", "horizontalpodautoscaler": "api"},
        [
            (
                f'kube_horizontalpodautoscaler_status_current_replicas{{{KSM}, namespace="shop", horizontalpodautoscaler="api"}}',
                "6x60",
            ),
            (
                f'kube_horizontalpodautoscaler_spec_max_replicas{{{KSM}, namespace="shop", horizontalpodautoscaler="api"}}',
                "10x60",
            ),
        ],
    ),
    "PersistentVolumeClaimFillingUp": Case(
        [
            (
                f'kubelet_volume_stats_available_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "140-1x120",
            ),
            (
                f'kubelet_volume_stats_capacity_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "1000x120",
            ),
        ],
        "90m",
        {"namespace": "shop", "persistentvolumeclaim": "data-db-0"},
        [
            (
                f'kubelet_volume_stats_available_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "140x120",
            ),
            (
                f'kubelet_volume_stats_capacity_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "1000x120",
            ),
        ],
        "120m",
    ),
    "PersistentVolumeClaimAlmostFull": Case(
        [
            (
                f'kubelet_volume_stats_available_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "20x30",
            ),
            (
                f'kubelet_volume_stats_capacity_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "1000x30",
            ),
        ],
        "10m",
        {"namespace": "shop", "persistentvolumeclaim": "data-db-0"},
        [
            (
                f'kubelet_volume_stats_available_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "500x60",
            ),
            (
                f'kubelet_volume_stats_capacity_bytes{{{KUBELET}, namespace="shop", persistentvolumeclaim="data-db-0"}}',
                "1000x60",
            ),
        ],
    ),
    "ClientCertificateExpiring": Case(
        _histogram("86400"), "10m", {"instance": "10.0.0.2:6443"}, _histogram("2592000")
    ),
    "KubeletClientCertificateExpiring": Case(
        [(f"kubelet_certificate_manager_client_ttl_seconds{{{KUBELET}}}", "86400x30")],
        "5m",
        {"node": "n1"},
        [(f"kubelet_certificate_manager_client_ttl_seconds{{{KUBELET}}}", "2592000x60")],
    ),
    "KubeletServerCertificateExpiring": Case(
        [(f"kubelet_certificate_manager_server_ttl_seconds{{{KUBELET}}}", "86400x30")],
        "5m",
        {"node": "n1"},
        [(f"kubelet_certificate_manager_server_ttl_seconds{{{KUBELET}}}", "2592000x60")],
    ),
    "NodeExporterTargetsMissing": _missing("augur/node-exporter"),
    "KubeStateMetricsTargetsMissing": _missing("augur/kube-state-metrics"),
    "KubeletTargetsMissing": _missing("augur/kubelet"),
    "CAdvisorTargetsMissing": _missing("augur/cadvisor"),
    "APIServerTargetsMissing": _missing("augur/apiserver"),
    "CoreDNSTargetsMissing": _missing("augur/coredns"),
}


def _stack(cluster: Obj) -> MonitoringStack:
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": {"clusterMonitoring": cluster},
        }
    )


def _alerts_query(alert: str, labels: dict[str, str], state: str = "firing") -> str:
    matchers = ", ".join(
        f'{k}="{v}"' for k, v in {"alertname": alert, "alertstate": state, **labels}.items()
    )
    return f"ALERTS{{{matchers}}}"


def _series(pairs: list[tuple[str, str]]) -> list[Obj]:
    return [{"series": series, "values": values} for series, values in pairs]


def _suite(alert: str, case: Case) -> list[Obj]:
    firing = _alerts_query(alert, case.labels)
    return [
        {
            "name": f"{alert} fires",
            "interval": "1m",
            "input_series": _series(case.fires),
            "promql_expr_test": [
                {
                    "expr": f"count({firing}) or vector(0)",
                    "eval_time": case.at,
                    "exp_samples": [{"labels": "{}", "value": 1}],
                }
            ],
        },
        {
            "name": f"{alert} stays quiet",
            "interval": "1m",
            "input_series": _series(case.quiet),
            "promql_expr_test": [
                {
                    "expr": (
                        f'count(count_over_time(ALERTS{{alertname="{alert}"}}'
                        f"[{case.quiet_at}])) or vector(0)"
                    ),
                    "eval_time": case.quiet_at,
                    "exp_samples": [{"labels": "{}", "value": 0}],
                }
            ],
        },
    ]


def _run_suite(promtool: Path, folder: Path, tests: list[Obj]) -> None:
    [(path, text)] = cluster_rule_files(_stack({"enabled": True})).items()
    assert path == CLUSTER_RULES_FILE
    (folder / "cluster.yaml").write_text(text)
    suite = {"rule_files": ["cluster.yaml"], "evaluation_interval": "1m", "tests": tests}
    (folder / "tests.yaml").write_text(yaml.safe_dump(suite, sort_keys=False, width=1000))
    done = subprocess.run(
        [str(promtool), "test", "rules", "tests.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_case() -> None:
    assert sorted(CASES) == sorted(alert.name for alert in CLUSTER_ALERTS)


@pytest.mark.tools
@pytest.mark.parametrize("alert", sorted(CASES))
def test_alert_fires_when_it_should_and_not_otherwise(
    alert: str, promtool: Path, tmp_path: Path
) -> None:
    _run_suite(promtool, tmp_path, _suite(alert, CASES[alert]))


@pytest.mark.tools
def test_alerts_wait_their_for_duration(promtool: Path, tmp_path: Path) -> None:
    case = CASES["NodeNotReady"]
    tests = [
        {
            "name": "NodeNotReady is pending for 15 minutes first",
            "interval": "1m",
            "input_series": _series(case.fires),
            "promql_expr_test": [
                {
                    "expr": f"count({_alerts_query('NodeNotReady', case.labels, 'pending')})",
                    "eval_time": "14m",
                    "exp_samples": [{"labels": "{}", "value": 1}],
                }
            ],
        }
    ]
    _run_suite(promtool, tmp_path, tests)


@pytest.mark.tools
def test_annotations_name_what_fired(promtool: Path, tmp_path: Path) -> None:
    [alert] = [a for a in CLUSTER_ALERTS if a.name == "PersistentVolumeClaimAlmostFull"]
    case = CASES[alert.name]
    labels = {
        "alertname": alert.name,
        "severity": "high",
        "job": "augur/kubelet",
        "instance": "10.0.0.1:10250",
        "node": "n1",
        "namespace": "shop",
        "persistentvolumeclaim": "data-db-0",
    }
    tests = [
        {
            "name": "annotations",
            "interval": "1m",
            "input_series": _series(case.fires),
            "alert_rule_test": [
                {
                    "alertname": alert.name,
                    "eval_time": case.at,
                    "exp_alerts": [
                        {
                            "exp_labels": labels,
                            "exp_annotations": {
                                "summary": "Volume of shop/data-db-0 is almost full",
                                "description": "Only 2% of the volume claimed by data-db-0 in "
                                "shop is free: the pods writing to it will fail soon. Expand "
                                "the claim or delete data now.",
                            },
                        }
                    ],
                }
            ],
        }
    ]
    _run_suite(promtool, tmp_path, tests)


@pytest.mark.tools
def test_the_certificate_alert_says_how_long_the_shortest_lived_has(
    promtool: Path, tmp_path: Path
) -> None:
    # Every certificate seen expires within a day: the 1% quantile interpolates to 864s.
    case = CASES["ClientCertificateExpiring"]
    tests = [
        {
            "name": "certificate annotations",
            "interval": "1m",
            "input_series": _series(case.fires),
            "alert_rule_test": [
                {
                    "alertname": "ClientCertificateExpiring",
                    "eval_time": case.at,
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "medium",
                                "job": "augur/apiserver",
                                "instance": "10.0.0.2:6443",
                            },
                            "exp_annotations": {
                                "summary": "A client of the API server uses a certificate "
                                "that expires within a week",
                                "description": "Clients of the API server at 10.0.0.2:6443 "
                                "present certificates of which the shortest-lived expire in "
                                "14m 24s. When it expires the client (a kubelet, a controller, "
                                "a person's kubeconfig) is refused. Find and renew it (kubeadm "
                                "certs check-expiration on kubeadm clusters).",
                            },
                        }
                    ],
                }
            ],
        }
    ]
    _run_suite(promtool, tmp_path, tests)


def test_each_alert_needs_its_part() -> None:
    assert {a.name for a in cluster_alerts(_stack({"enabled": True}))} == set(CASES)
    without_ksm = {
        a.name for a in cluster_alerts(_stack({"enabled": True, "kubeStateMetrics": False}))
    }
    assert "PodCrashLooping" not in without_ksm and "NodeMemoryAlmostExhausted" in without_ksm
    without_kubelet = {a.name for a in cluster_alerts(_stack({"enabled": True, "kubelet": False}))}
    assert not {"PersistentVolumeClaimAlmostFull", "KubeletTargetsMissing"} & without_kubelet
    assert cluster_rule_files(_stack({"enabled": True, "rules": False})) == {}
    assert cluster_rule_files(_stack({"enabled": False})) == {}


@pytest.mark.tools
@pytest.mark.parametrize("tenancy", [None, "namespace", "tenant"])
def test_rule_file_passes_promtool_check(
    tenancy: str | None, promtool: Path, tmp_path: Path
) -> None:
    spec: Obj = {"clusterMonitoring": {"enabled": True}}
    if tenancy:
        spec["tenancy"] = {"enforceNamespaceLabel": tenancy}
    stack = MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": spec,
        }
    )
    [text] = cluster_rule_files(stack).values()
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    done = subprocess.run(
        [str(promtool), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if tenancy == "tenant":
        assert "sum by (namespace, tenant)" in text

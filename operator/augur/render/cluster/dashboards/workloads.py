"""The workloads and pods dashboard: per namespace, what pods use (cAdvisor), how they fare
(restarts, phases, OOM kills), whether workloads have their replicas, and volume usage."""

from __future__ import annotations

from augur.api.clustermonitoring import ClusterMonitoring
from augur.render.cluster.dashboards.queries import CADVISOR, CORES, KSM, KUBELET
from augur.render.panels import (
    Obj,
    Query,
    Section,
    bars,
    encode,
    graph,
    label_variable,
    new_dashboard,
    with_sections,
)

UID = "augur-cluster-workloads"
FILE = "cluster-workloads.json"
CHOSEN = 'namespace=~"$namespace"'


def _usage() -> Section:
    return (
        "Usage by pod",
        [
            graph(
                "CPU",
                [
                    Query(
                        "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total"
                        f'{{{CADVISOR}, {CHOSEN}, container!=""}}[5m]))',
                        "{{namespace}}/{{pod}}",
                    )
                ],
                unit=CORES,
            ),
            graph(
                "Memory (working set)",
                [
                    Query(
                        "sum by (namespace, pod) (container_memory_working_set_bytes"
                        f'{{{CADVISOR}, {CHOSEN}, container!=""}})',
                        "{{namespace}}/{{pod}}",
                    )
                ],
                unit="bytes",
            ),
        ],
    )


def _health() -> Section:
    return (
        "Pod health",
        [
            graph(
                "Container restarts (per hour)",
                [
                    Query(
                        "sum by (namespace, pod) (increase("
                        f"kube_pod_container_status_restarts_total{{{KSM}, {CHOSEN}}}[1h])) > 0",
                        "{{namespace}}/{{pod}}",
                    )
                ],
                unit="none",
                width=8,
            ),
            bars(
                "Pods by phase",
                Query(
                    f"sum by (phase) (kube_pod_status_phase{{{KSM}, {CHOSEN}}}) > 0", "{{phase}}"
                ),
                unit="none",
                width=8,
            ),
            bars(
                "Containers last killed for memory",
                Query(
                    "sum by (namespace, pod, container) "
                    "(kube_pod_container_status_last_terminated_reason"
                    f'{{{KSM}, {CHOSEN}, reason="OOMKilled"}}) > 0',
                    "{{namespace}}/{{pod}} {{container}}",
                ),
                unit="none",
                width=8,
            ),
        ],
    )


def _workloads() -> Section:
    return (
        "Workloads",
        [
            bars(
                "Deployments: available of desired replicas",
                Query(
                    f"kube_deployment_status_replicas_available{{{KSM}, {CHOSEN}}}"
                    f" / kube_deployment_spec_replicas{{{KSM}, {CHOSEN}}}",
                    "{{namespace}}/{{deployment}}",
                ),
                unit="percentunit",
                width=8,
            ),
            bars(
                "StatefulSets: ready of desired replicas",
                Query(
                    f"kube_statefulset_status_replicas_ready{{{KSM}, {CHOSEN}}}"
                    f" / kube_statefulset_replicas{{{KSM}, {CHOSEN}}}",
                    "{{namespace}}/{{statefulset}}",
                ),
                unit="percentunit",
                width=8,
            ),
            bars(
                "HorizontalPodAutoscalers: replicas of their maximum",
                Query(
                    f"kube_horizontalpodautoscaler_status_current_replicas{{{KSM}, {CHOSEN}}}"
                    f" / kube_horizontalpodautoscaler_spec_max_replicas{{{KSM}, {CHOSEN}}}",
                    "{{namespace}}/{{horizontalpodautoscaler}}",
                ),
                unit="percentunit",
                width=8,
            ),
        ],
    )


def _volumes() -> Section:
    return (
        "Volumes",
        [
            bars(
                "PersistentVolumeClaims: space used",
                Query(
                    f"1 - kubelet_volume_stats_available_bytes{{{KUBELET}, {CHOSEN}}}"
                    f" / kubelet_volume_stats_capacity_bytes{{{KUBELET}, {CHOSEN}}}",
                    "{{namespace}}/{{persistentvolumeclaim}}",
                ),
                unit="percentunit",
                width=24,
            )
        ],
    )


def workloads_dashboard(spec: ClusterMonitoring) -> Obj:
    """The workloads dashboard, with the rows of the parts that run."""
    if spec.kube_state_metrics:
        variable_source = f"kube_pod_info{{{KSM}}}"
    elif spec.cadvisor:
        variable_source = f"container_memory_working_set_bytes{{{CADVISOR}}}"
    else:
        variable_source = f"kubelet_volume_stats_capacity_bytes{{{KUBELET}}}"
    board = new_dashboard(
        UID,
        "Cluster workloads and pods",
        "Per namespace: CPU and memory of each pod, restarts, phases and OOM kills, replicas "
        "of Deployments, StatefulSets and HPAs, and PersistentVolumeClaim usage.",
    ).with_variable(label_variable("namespace", "namespace", variable_source, "Namespace"))
    sections: list[Section] = []
    if spec.cadvisor:
        sections.append(_usage())
    if spec.kube_state_metrics:
        sections += [_health(), _workloads()]
    if spec.kubelet:
        sections.append(_volumes())
    return encode(with_sections(board, sections))

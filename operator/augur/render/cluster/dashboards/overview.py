"""The cluster overview: nodes and pods at a glance, usage by namespace, the control plane."""

from __future__ import annotations

from augur.api.clustermonitoring import ClusterMonitoring
from augur.render.cluster.dashboards.queries import APISERVER, CADVISOR, COREDNS, CORES, KSM, NE
from augur.render.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    encode,
    graph,
    new_dashboard,
    single_stat,
    threshold_steps,
    with_sections,
)

UID = "augur-cluster-overview"
FILE = "cluster-overview.json"


def _glance(spec: ClusterMonitoring) -> Section:
    panels: list[PanelBuilder] = []
    if spec.kube_state_metrics:
        panels += [
            single_stat("Nodes", Query(f"count(kube_node_info{{{KSM}}})"), width=4),
            single_stat(
                "Nodes not ready",
                Query(
                    f'count(kube_node_status_condition{{{KSM}, condition="Ready", status="true"}}'
                    " == 0) or vector(0)"
                ),
                width=4,
                thresholds=threshold_steps(1, higher_is_better=False),
            ),
            single_stat(
                "Pods running",
                Query(f'sum(kube_pod_status_phase{{{KSM}, phase="Running"}})'),
                width=4,
            ),
            single_stat(
                "Pods pending or failed",
                Query(f'sum(kube_pod_status_phase{{{KSM}, phase=~"Pending|Failed|Unknown"}})'),
                width=4,
                thresholds=threshold_steps(1, higher_is_better=False),
            ),
        ]
    if spec.node_exporter:
        panels += [
            single_stat(
                "CPU busy",
                Query(f'1 - avg(rate(node_cpu_seconds_total{{{NE}, mode="idle"}}[5m]))'),
                unit="percentunit",
                width=4,
                thresholds=threshold_steps(0.9, higher_is_better=False),
            ),
            single_stat(
                "Memory used",
                Query(
                    f"1 - sum(node_memory_MemAvailable_bytes{{{NE}}})"
                    f" / sum(node_memory_MemTotal_bytes{{{NE}}})"
                ),
                unit="percentunit",
                width=4,
                thresholds=threshold_steps(0.9, higher_is_better=False),
            ),
        ]
    return "At a glance", panels


def _namespaces() -> Section:
    return (
        "Usage by namespace (top 10)",
        [
            graph(
                "CPU",
                [
                    Query(
                        "topk(10, sum by (namespace) (rate(container_cpu_usage_seconds_total"
                        f'{{{CADVISOR}, container!=""}}[5m])))',
                        "{{namespace}}",
                    )
                ],
                unit=CORES,
            ),
            graph(
                "Memory (working set)",
                [
                    Query(
                        "topk(10, sum by (namespace) (container_memory_working_set_bytes"
                        f'{{{CADVISOR}, container!=""}}))',
                        "{{namespace}}",
                    )
                ],
                unit="bytes",
            ),
        ],
    )


def _control_plane(spec: ClusterMonitoring) -> Section:
    panels: list[PanelBuilder] = []
    if spec.api_server:
        panels += [
            graph(
                "API server requests by code",
                [
                    Query(
                        f"sum by (code) (rate(apiserver_request_total{{{APISERVER}}}[5m]))",
                        "{{code}}",
                    )
                ],
                unit="reqps",
            ),
            graph(
                "API server request latency (p99, without WATCH)",
                [
                    Query(
                        "histogram_quantile(0.99, sum by (verb, le) (rate("
                        f'apiserver_request_duration_seconds_bucket{{{APISERVER}, verb!~"WATCH|CONNECT"}}'
                        "[5m])))",
                        "{{verb}}",
                    )
                ],
                unit="s",
            ),
        ]
    if spec.core_dns:
        panels += [
            graph(
                "DNS responses by code",
                [
                    Query(
                        f"sum by (rcode) (rate(coredns_dns_responses_total{{{COREDNS}}}[5m]))",
                        "{{rcode}}",
                    )
                ],
                unit="reqps",
            ),
            graph(
                "DNS request latency (p99)",
                [
                    Query(
                        "histogram_quantile(0.99, sum by (le) (rate("
                        f"coredns_dns_request_duration_seconds_bucket{{{COREDNS}}}[5m])))",
                        "p99",
                    )
                ],
                unit="s",
            ),
        ]
    return "Control plane", panels


def overview_dashboard(spec: ClusterMonitoring) -> Obj:
    """The overview, with the panels of the parts that run."""
    board = new_dashboard(
        UID,
        "Cluster overview",
        "Nodes and pods at a glance, CPU and memory by namespace, the API server and CoreDNS.",
    )
    sections = [_glance(spec)]
    if spec.cadvisor:
        sections.append(_namespaces())
    sections.append(_control_plane(spec))
    return encode(with_sections(board, [s for s in sections if s[1]]))

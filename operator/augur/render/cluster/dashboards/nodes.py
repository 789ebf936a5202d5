"""The nodes dashboard: CPU, memory, filesystems, network and disks of the chosen nodes, from
node-exporter, and their pods from kube-state-metrics."""

from __future__ import annotations

from augur.api.clustermonitoring import ClusterMonitoring
from augur.render.cluster.dashboards.queries import KSM, NE
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

UID = "augur-cluster-nodes"
FILE = "cluster-nodes.json"
CHOSEN = 'node=~"$node"'
NODE_FS = f'{NE}, {CHOSEN}, fstype!="", fstype!~"tmpfs|ramfs", mountpoint!=""'
NODE_NET = f'{NE}, {CHOSEN}, device!="lo"'


def _compute() -> Section:
    return (
        "CPU and memory",
        [
            graph(
                "CPU busy",
                [
                    Query(
                        "1 - avg by (node) (rate(node_cpu_seconds_total"
                        f'{{{NE}, {CHOSEN}, mode="idle"}}[5m]))',
                        "{{node}}",
                    )
                ],
                unit="percentunit",
                width=8,
            ),
            graph(
                "Load (1m) per CPU",
                [
                    Query(
                        f"node_load1{{{NE}, {CHOSEN}}} / on (node) count by (node)"
                        f' (node_cpu_seconds_total{{{NE}, {CHOSEN}, mode="idle"}})',
                        "{{node}}",
                    )
                ],
                unit="none",
                width=8,
            ),
            graph(
                "Memory used",
                [
                    Query(
                        f"1 - node_memory_MemAvailable_bytes{{{NE}, {CHOSEN}}}"
                        f" / node_memory_MemTotal_bytes{{{NE}, {CHOSEN}}}",
                        "{{node}}",
                    )
                ],
                unit="percentunit",
                width=8,
            ),
        ],
    )


def _storage() -> Section:
    return (
        "Filesystems and disks",
        [
            bars(
                "Filesystem space used",
                Query(
                    f"1 - node_filesystem_avail_bytes{{{NODE_FS}}}"
                    f" / node_filesystem_size_bytes{{{NODE_FS}}}",
                    "{{node}} {{mountpoint}}",
                ),
                unit="percentunit",
                width=8,
            ),
            graph(
                "Disk reads",
                [
                    Query(
                        f"sum by (node) (rate(node_disk_read_bytes_total{{{NE}, {CHOSEN}}}[5m]))",
                        "{{node}}",
                    )
                ],
                unit="Bps",
                width=8,
            ),
            graph(
                "Disk writes",
                [
                    Query(
                        "sum by (node) "
                        f"(rate(node_disk_written_bytes_total{{{NE}, {CHOSEN}}}[5m]))",
                        "{{node}}",
                    )
                ],
                unit="Bps",
                width=8,
            ),
        ],
    )


def _network() -> Section:
    return (
        "Network",
        [
            graph(
                "Received",
                [
                    Query(
                        f"sum by (node) (rate(node_network_receive_bytes_total{{{NODE_NET}}}[5m]))",
                        "{{node}}",
                    )
                ],
                unit="Bps",
            ),
            graph(
                "Transmitted",
                [
                    Query(
                        "sum by (node) "
                        f"(rate(node_network_transmit_bytes_total{{{NODE_NET}}}[5m]))",
                        "{{node}}",
                    )
                ],
                unit="Bps",
            ),
        ],
    )


def _pods() -> Section:
    return (
        "Pods",
        [
            bars(
                "Pods per node",
                Query(f"count by (node) (kube_pod_info{{{KSM}, {CHOSEN}}})", "{{node}}"),
                unit="none",
                width=24,
            )
        ],
    )


def nodes_dashboard(spec: ClusterMonitoring) -> Obj:
    """The nodes dashboard (node-exporter's panels; the pods row with kube-state-metrics)."""
    board = new_dashboard(
        UID,
        "Cluster nodes",
        "CPU, memory, filesystems, disks and network of each node, and the pods it runs.",
    ).with_variable(label_variable("node", "node", f"node_uname_info{{{NE}}}", "Node"))
    sections = [_compute(), _storage(), _network()]
    if spec.kube_state_metrics:
        sections.append(_pods())
    return encode(with_sections(board, sections))

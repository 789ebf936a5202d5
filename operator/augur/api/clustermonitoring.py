"""MonitoringStack `spec.clusterMonitoring`: the baseline of a Kubernetes cluster's own metrics
(nodes, workloads, kubelets, containers, the API server, CoreDNS), with augur's alerts and
dashboards for them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from augur.api.common import ApiModel
from augur.api.workload import ResourceRequirements

Part = Literal[
    "node_exporter",
    "kube_state_metrics",
    "kubelet",
    "cadvisor",
    "api_server",
    "core_dns",
    "rules",
    "dashboards",
]
"""The switches of `ClusterMonitoring`, by field name."""


class ClusterMonitoring(ApiModel):
    """Baseline monitoring of the cluster the stack runs in. One switch (`enabled`) turns
    every part on; each part has its own switch, on by default once enabled. The exporters
    run in the stack's namespace; the kubelet, cAdvisor, API server and CoreDNS are scraped
    where they are. Needs cluster-scoped RBAC (a ClusterRole for kube-state-metrics and one
    for Prometheus to read nodes and their metrics): the operator must hold it (the Helm
    chart's `clusterMonitoring.enabled`). node-exporter listens on each node's port 9100:
    enable it in one stack per cluster."""

    enabled: bool = False
    """Monitor the cluster. Default false."""
    node_exporter: bool = True
    """node-exporter on every node (a DaemonSet on the host's network and PID namespace,
    reading /proc, /sys and / read-only; tolerates every taint), and its scrape job."""
    kube_state_metrics: bool = True
    """kube-state-metrics (a Deployment with read-only access to the objects it reports)
    and its scrape job."""
    kubelet: bool = True
    """Scrape every kubelet's own metrics (https, port 10250, with Prometheus' ServiceAccount
    token): volume usage of PersistentVolumeClaims, certificate lifetimes."""
    kubelet_insecure_skip_verify: bool = False
    """Accept kubelets' serving certificates without checking them against the cluster CA.
    Needed where kubelets serve self-signed certificates (kubeadm's default without
    `serverTLSBootstrap`); the token is then sent to whoever answers on the node's address.
    Default false."""
    cadvisor: bool = True
    """Scrape every kubelet's cAdvisor (/metrics/cadvisor): CPU, memory and OOM events of
    each container."""
    api_server: bool = True
    """Scrape the API server (the `kubernetes` Service in `default`)."""
    core_dns: bool = Field(default=True, alias="coreDNS")
    """Scrape CoreDNS (the Service labelled k8s-app=kube-dns in kube-system, port `metrics`)."""
    rules: bool = True
    """augur's alerting and recording rules about nodes, pods, workloads, volumes and
    certificates; routed to the stack's defaultReceiver."""
    dashboards: bool = True
    """Grafana dashboards: cluster overview, nodes, workloads and pods."""
    node_exporter_image: str | None = None
    """Default: the node-exporter version this augur release pins."""
    kube_state_metrics_image: str | None = None
    """Default: the kube-state-metrics version this augur release pins."""
    node_exporter_resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Requests and limits of each node-exporter pod (default request 50m CPU, 64Mi)."""
    kube_state_metrics_resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Requests and limits of kube-state-metrics (default request 50m CPU, 128Mi)."""

    def part(self, name: Part) -> bool:
        """True when cluster monitoring is on and so is its part `name`."""
        return self.enabled and bool(getattr(self, name))

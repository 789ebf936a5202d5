"""augur's rules about the cluster: recording rules the alerts and dashboards share, and alerts
on nodes, pods, workloads, volumes, certificates and the baseline scrape jobs themselves.

They are the stack's own rules, as its self-monitoring is: restricted to no namespace, carrying
no `augur_policy` label, so Alertmanager's top route delivers them to the stack's
defaultReceiver. Each alert exists only when the part whose series it reads runs (node alerts
need node-exporter, pod and workload alerts kube-state-metrics, volume and kubelet certificate
alerts the kubelet job, client certificate alerts the API server job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from augur.api.clustermonitoring import Part
from augur.api.resources import MonitoringStack
from augur.render.cluster.scrape import (
    API_SERVER_JOB,
    CADVISOR_JOB,
    COREDNS_JOB,
    KSM_JOB,
    KUBELET_JOB,
    NODE_EXPORTER_JOB,
)
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

Obj = dict[str, Any]

CLUSTER_RULES_FILE = "prometheus/rules/augur-cluster.yaml"
RECORDS_GROUP = "augur-cluster-records"
ALERTS_GROUP = "augur-cluster"

NE = f'job="{NODE_EXPORTER_JOB}"'
KSM = f'job="{KSM_JOB}"'
KUBELET = f'job="{KUBELET_JOB}"'
CADVISOR = f'job="{CADVISOR_JOB}"'
APISERVER = f'job="{API_SERVER_JOB}"'
FILESYSTEMS = f'{NE}, fstype!="", fstype!~"tmpfs|ramfs", mountpoint!=""'
"""Filesystems on disk (memory-backed ones are the memory alerts' business)."""

NODE_CPU_BUSY = "instance:node_cpu_busy:ratio_rate5m"
NODE_MEMORY_USED = "instance:node_memory_used:ratio"
NODE_FILESYSTEM_AVAIL = "instance:node_filesystem_avail:ratio"
NAMESPACE_CPU = "namespace:container_cpu_usage_seconds:sum_rate5m"
NAMESPACE_MEMORY = "namespace:container_memory_working_set_bytes:sum"
DAY = 24 * 3600
WEEK = 7 * DAY


@dataclass(frozen=True)
class ClusterAlert:
    """One alert of augur's cluster rules, and the part whose series it reads."""

    name: str
    part: Part
    """The part that must run."""
    expr: str
    for_: str
    severity: str
    summary: str
    description: str

    def rule(self) -> Obj:
        """The alerting rule as Prometheus reads it."""
        rule: Obj = {"alert": self.name, "expr": self.expr}
        if self.for_ != "0s":
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {"summary": self.summary, "description": self.description}
        return rule


def _records(stack: MonitoringStack) -> list[tuple[Part, str, str]]:
    """(part, record, expr) of every recording rule. Per-namespace sums keep the enforced
    label beside `namespace`, so a tenant's own rules may read their namespace's share."""
    label = stack.spec.tenancy.enforce_namespace_label
    by = "namespace" if label in (None, "namespace") else f"namespace, {label}"
    return [
        (
            "node_exporter",
            NODE_CPU_BUSY,
            f'1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{{{NE}, mode="idle"}}[5m]))',
        ),
        (
            "node_exporter",
            NODE_MEMORY_USED,
            f"1 - node_memory_MemAvailable_bytes{{{NE}}} / node_memory_MemTotal_bytes{{{NE}}}",
        ),
        (
            "node_exporter",
            NODE_FILESYSTEM_AVAIL,
            f"node_filesystem_avail_bytes{{{FILESYSTEMS}}}"
            f" / node_filesystem_size_bytes{{{FILESYSTEMS}}}",
        ),
        (
            "cadvisor",
            NAMESPACE_CPU,
            f"sum by ({by}) "
            f'(rate(container_cpu_usage_seconds_total{{{CADVISOR}, container!=""}}[5m]))',
        ),
        (
            "cadvisor",
            NAMESPACE_MEMORY,
            f'sum by ({by}) (container_memory_working_set_bytes{{{CADVISOR}, container!=""}})',
        ),
    ]


NODE_ALERTS = (
    ClusterAlert(
        "NodeNotReady",
        "kube_state_metrics",
        f'kube_node_status_condition{{{KSM}, condition="Ready", status="true"}} == 0',
        "15m",
        "high",
        "Node {{ $labels.node }} is not Ready",
        "Node {{ $labels.node }} has not been Ready for 15 minutes: no new pod starts there, "
        "and its pods are evicted once their tolerations of an unreachable node run out. Look "
        "at its conditions and events (kubectl describe node {{ $labels.node }}), then at the "
        "kubelet and the container runtime on the host.",
    ),
    ClusterAlert(
        "NodeMemoryPressure",
        "kube_state_metrics",
        f'kube_node_status_condition{{{KSM}, condition="MemoryPressure", status="true"}} == 1',
        "5m",
        "high",
        "Node {{ $labels.node }} is short of memory: the kubelet is evicting pods",
        "The kubelet of {{ $labels.node }} reports MemoryPressure: it evicts pods, lowest "
        "priority and furthest over their requests first, and admits no new BestEffort pod. "
        "Find the largest consumers (kubectl top pods on the node) and compare memory "
        "requests with actual use.",
    ),
    ClusterAlert(
        "NodeMemoryAlmostExhausted",
        "node_exporter",
        f"{NODE_MEMORY_USED} > 0.9",
        "15m",
        "medium",
        "Node {{ $labels.node }} uses {{ $value | humanizePercentage }} of its memory",
        "Less than a tenth of the memory of {{ $labels.node }} ({{ $labels.instance }}) has "
        "been available for 15 minutes. The kernel's OOM killer or the kubelet's evictions are "
        "next: check which pods grew and whether their limits and the node's allocatable "
        "memory leave room for the system.",
    ),
    ClusterAlert(
        "NodeCPUSaturated",
        "node_exporter",
        f"{NODE_CPU_BUSY} > 0.9",
        "30m",
        "medium",
        "Node {{ $labels.node }} is {{ $value | humanizePercentage }} busy",
        "The CPUs of {{ $labels.node }} ({{ $labels.instance }}) have been more than 90% busy "
        "for 30 minutes: every workload there is slowed down, and CPU limits throttle. "
        "Spread the load (requests that reflect use let the scheduler do it) or add nodes.",
    ),
    ClusterAlert(
        "NodeFilesystemFillingUp",
        "node_exporter",
        f"{NODE_FILESYSTEM_AVAIL} < 0.2"
        f" and predict_linear(node_filesystem_avail_bytes{{{FILESYSTEMS}}}[6h], {DAY}) < 0"
        f" and node_filesystem_readonly{{{FILESYSTEMS}}} == 0",
        "1h",
        "medium",
        "{{ $labels.mountpoint }} on {{ $labels.node }} will be full within a day",
        "{{ $labels.device }} mounted at {{ $labels.mountpoint }} on {{ $labels.node }} has "
        "{{ $value | humanizePercentage }} free and, at the pace of the last 6 hours, runs out "
        "within 24 hours. Find what writes (container logs, images, emptyDir volumes) before "
        "the kubelet starts evicting pods for disk pressure.",
    ),
    ClusterAlert(
        "NodeFilesystemAlmostFull",
        "node_exporter",
        f"{NODE_FILESYSTEM_AVAIL} < 0.05 and node_filesystem_readonly{{{FILESYSTEMS}}} == 0",
        "30m",
        "high",
        "{{ $labels.mountpoint }} on {{ $labels.node }} is almost full",
        "Only {{ $value | humanizePercentage }} of {{ $labels.device }} mounted at "
        "{{ $labels.mountpoint }} on {{ $labels.node }} is free. Writes will fail soon; the "
        "kubelet garbage-collects images and evicts pods when its own filesystems pass their "
        "thresholds. Free space or grow the disk.",
    ),
)

POD_ALERTS = (
    ClusterAlert(
        "PodCrashLooping",
        "kube_state_metrics",
        "max_over_time(kube_pod_container_status_waiting_reason"
        f'{{{KSM}, reason="CrashLoopBackOff"}}[5m]) >= 1',
        "15m",
        "medium",
        "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash-looping",
        "Container {{ $labels.container }} of pod {{ $labels.pod }} in {{ $labels.namespace }} "
        "keeps exiting and Kubernetes waits longer before each restart. Its previous run's "
        "logs (kubectl logs --previous) and last state (kubectl describe pod) say why.",
    ),
    ClusterAlert(
        "PodNotReady",
        "kube_state_metrics",
        f'(max by (namespace, pod) (kube_pod_status_phase{{{KSM}, phase=~"Pending|Unknown"}}) == 1'
        f' or (max by (namespace, pod) (kube_pod_status_ready{{{KSM}, condition="false"}}) == 1'
        " and on (namespace, pod)"
        f' max by (namespace, pod) (kube_pod_status_phase{{{KSM}, phase="Running"}}) == 1))'
        " unless on (namespace, pod)"
        f' max by (namespace, pod) (kube_pod_owner{{{KSM}, owner_kind="Job"}})',
        "15m",
        "medium",
        "{{ $labels.namespace }}/{{ $labels.pod }} has not been ready for 15 minutes",
        "Pod {{ $labels.pod }} in {{ $labels.namespace }} is pending, unknown, or running "
        "without passing its readiness probe: it receives no traffic from its Services. "
        "Pending: look at its events (resources, volumes, node selectors); running: at its "
        "readiness probe and logs. Pods of Jobs are left out.",
    ),
    ClusterAlert(
        "PodEvicted",
        "kube_state_metrics",
        f'max by (namespace, pod) (kube_pod_status_reason{{{KSM}, reason="Evicted"}}) == 1',
        "0s",
        "low",
        "{{ $labels.namespace }}/{{ $labels.pod }} was evicted",
        "The kubelet evicted pod {{ $labels.pod }} in {{ $labels.namespace }}, usually because "
        "its node ran short of memory or disk; its controller has started a replacement. The "
        "evicted pod stays (Failed) until deleted: its status says which resource was short.",
    ),
    ClusterAlert(
        "ContainerOOMKilled",
        "kube_state_metrics",
        "max by (namespace, pod, container) (kube_pod_container_status_last_terminated_reason"
        f'{{{KSM}, reason="OOMKilled"}}) == 1'
        " and on (namespace, pod, container)"
        " max by (namespace, pod, container)"
        f" (increase(kube_pod_container_status_restarts_total{{{KSM}}}[15m])) > 0",
        "0s",
        "medium",
        "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) was killed for "
        "running out of memory",
        "Container {{ $labels.container }} of pod {{ $labels.pod }} in {{ $labels.namespace }} "
        "restarted in the last 15 minutes after the kernel killed it at its memory limit "
        "(or the node ran out). Compare its memory use with its limit; raise the limit or "
        "find the leak.",
    ),
)

WORKLOAD_ALERTS = (
    ClusterAlert(
        "DeploymentReplicasMismatch",
        "kube_state_metrics",
        f"kube_deployment_spec_replicas{{{KSM}}}"
        f" != kube_deployment_status_replicas_available{{{KSM}}}"
        f" and changes(kube_deployment_status_replicas_updated{{{KSM}}}[10m]) == 0",
        "15m",
        "medium",
        "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} lacks available replicas",
        "Deployment {{ $labels.deployment }} in {{ $labels.namespace }} has wanted a different "
        "number of available replicas than it has for 15 minutes, with no rollout progressing. "
        "Its pods' events say why new ones do not start or become ready.",
    ),
    ClusterAlert(
        "StatefulSetReplicasMismatch",
        "kube_state_metrics",
        f"kube_statefulset_status_replicas_ready{{{KSM}}} != kube_statefulset_replicas{{{KSM}}}"
        f" and changes(kube_statefulset_status_replicas_updated{{{KSM}}}[10m]) == 0",
        "15m",
        "medium",
        "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} lacks ready replicas",
        "StatefulSet {{ $labels.statefulset }} in {{ $labels.namespace }} has had fewer or more "
        "ready replicas than it wants for 15 minutes, with no rollout progressing. A "
        "StatefulSet starts pods in order: the first one not ready holds the rest.",
    ),
    ClusterAlert(
        "DaemonSetReplicasMismatch",
        "kube_state_metrics",
        f"kube_daemonset_status_number_available{{{KSM}}}"
        f" != kube_daemonset_status_desired_number_scheduled{{{KSM}}}",
        "15m",
        "medium",
        "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} is not available on every "
        "node it should run on",
        "DaemonSet {{ $labels.daemonset }} in {{ $labels.namespace }} has had a different "
        "number of available pods than nodes it should run on for 15 minutes. Look for its "
        "pods that are pending (a node's resources or taints) or not ready.",
    ),
    ClusterAlert(
        "HorizontalPodAutoscalerAtMaxReplicas",
        "kube_state_metrics",
        f"kube_horizontalpodautoscaler_status_current_replicas{{{KSM}}}"
        f" >= kube_horizontalpodautoscaler_spec_max_replicas{{{KSM}}}",
        "15m",
        "medium",
        "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has been at its "
        "maximum for 15 minutes",
        "HorizontalPodAutoscaler {{ $labels.horizontalpodautoscaler }} in "
        "{{ $labels.namespace }} runs its maximum of {{ $value }} replicas and cannot add "
        "more if the load grows. Raise maxReplicas if the cluster has room, or look at why "
        "each replica handles less than it used to.",
    ),
)

VOLUME_ALERTS = (
    ClusterAlert(
        "PersistentVolumeClaimFillingUp",
        "kubelet",
        f"kubelet_volume_stats_available_bytes{{{KUBELET}}}"
        f" / kubelet_volume_stats_capacity_bytes{{{KUBELET}}} < 0.15"
        f" and predict_linear(kubelet_volume_stats_available_bytes{{{KUBELET}}}[6h], {4 * DAY})"
        " < 0",
        "1h",
        "medium",
        "Volume of {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} will be full "
        "within four days",
        "The volume claimed by {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} "
        "has {{ $value | humanizePercentage }} free and, at the pace of the last 6 hours, "
        "runs out within four days. Expand the claim (if its StorageClass allows it) or "
        "delete data.",
    ),
    ClusterAlert(
        "PersistentVolumeClaimAlmostFull",
        "kubelet",
        f"kubelet_volume_stats_available_bytes{{{KUBELET}}}"
        f" / kubelet_volume_stats_capacity_bytes{{{KUBELET}}} < 0.03",
        "5m",
        "high",
        "Volume of {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full",
        "Only {{ $value | humanizePercentage }} of the volume claimed by "
        "{{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} is free: the pods "
        "writing to it will fail soon. Expand the claim or delete data now.",
    ),
)

CERTIFICATE_ALERTS = (
    ClusterAlert(
        "ClientCertificateExpiring",
        "api_server",
        # the quantile first: an alert's value is its left-hand side's
        "histogram_quantile(0.01, sum by (job, instance, le)"
        f" (rate(apiserver_client_certificate_expiration_seconds_bucket{{{APISERVER}}}[5m])))"
        f" < {WEEK}"
        " and on (job, instance) sum by (job, instance)"
        f" (rate(apiserver_client_certificate_expiration_seconds_count{{{APISERVER}}}[5m])) > 0",
        "0s",
        "medium",
        "A client of the API server uses a certificate that expires within a week",
        "Clients of the API server at {{ $labels.instance }} present certificates of which the "
        "shortest-lived expire in {{ $value | humanizeDuration }}. When it expires the client "
        "(a kubelet, a controller, a person's kubeconfig) is refused. Find and renew it "
        "(kubeadm certs check-expiration on kubeadm clusters).",
    ),
    ClusterAlert(
        "KubeletClientCertificateExpiring",
        "kubelet",
        f"kubelet_certificate_manager_client_ttl_seconds{{{KUBELET}}} < {WEEK}",
        "0s",
        "medium",
        "The kubelet client certificate of {{ $labels.node }} expires within a week",
        "The certificate the kubelet of {{ $labels.node }} presents to the API server expires "
        "in {{ $value | humanizeDuration }}. Kubelets renew it themselves when rotation is "
        "on: check the kubelet's logs and pending CertificateSigningRequests.",
    ),
    ClusterAlert(
        "KubeletServerCertificateExpiring",
        "kubelet",
        f"kubelet_certificate_manager_server_ttl_seconds{{{KUBELET}}} < {WEEK}",
        "0s",
        "medium",
        "The kubelet serving certificate of {{ $labels.node }} expires within a week",
        "The certificate the kubelet of {{ $labels.node }} serves with expires in "
        "{{ $value | humanizeDuration }}: after that, logs, exec and metrics of that node "
        "fail. Check serverTLSBootstrap and pending CertificateSigningRequests.",
    ),
)


def _job_missing(name: str, part: Part, job: str) -> ClusterAlert:
    return ClusterAlert(
        f"{name}TargetsMissing",
        part,
        f'absent(up{{job="{job}"}})',
        "15m",
        "high",
        "Prometheus finds no target of {{ $labels.job }}",
        "For 15 minutes Prometheus has discovered no target of job {{ $labels.job }}, so the "
        "cluster alerts that read its series cannot fire. The exporter does not run (look at "
        "its pods), or Prometheus may not discover it (its ClusterRole and Roles, the "
        "Service's labels and port names). Targets found but not answering are the stack's "
        "TargetDown alert.",
    )


TARGET_ALERTS = (
    _job_missing("NodeExporter", "node_exporter", NODE_EXPORTER_JOB),
    _job_missing("KubeStateMetrics", "kube_state_metrics", KSM_JOB),
    _job_missing("Kubelet", "kubelet", KUBELET_JOB),
    _job_missing("CAdvisor", "cadvisor", CADVISOR_JOB),
    _job_missing("APIServer", "api_server", API_SERVER_JOB),
    _job_missing("CoreDNS", "core_dns", COREDNS_JOB),
)
"""Each baseline job with no target at all (a target found but down is the stack's
TargetDown, which these never repeat)."""

CLUSTER_ALERTS: tuple[ClusterAlert, ...] = (
    *NODE_ALERTS,
    *POD_ALERTS,
    *WORKLOAD_ALERTS,
    *VOLUME_ALERTS,
    *CERTIFICATE_ALERTS,
    *TARGET_ALERTS,
)


def cluster_alerts(stack: MonitoringStack) -> list[ClusterAlert]:
    """The alerts whose part runs."""
    spec = stack.spec.cluster_monitoring
    return [alert for alert in CLUSTER_ALERTS if spec.part(alert.part)]


def cluster_rule_groups(stack: MonitoringStack) -> list[Obj]:
    """The recording group and the alerting group (empty groups left out)."""
    spec = stack.spec.cluster_monitoring
    records = [
        {"record": record, "expr": expr}
        for part, record, expr in _records(stack)
        if spec.part(part)
    ]
    alerts = [alert.rule() for alert in cluster_alerts(stack)]
    groups = []
    if records:
        groups.append({"name": RECORDS_GROUP, "rules": records})
    if alerts:
        groups.append({"name": ALERTS_GROUP, "rules": alerts})
    return groups


def cluster_rule_files(stack: MonitoringStack) -> dict[str, str]:
    """The cluster rule file by its output path (none when rules are off)."""
    if not stack.spec.cluster_monitoring.part("rules"):
        return {}
    groups = cluster_rule_groups(stack)
    if not groups:
        return {}
    return {CLUSTER_RULES_FILE: GENERATED_HEADER + dump_yaml({"groups": groups})}

"""The objects of the cluster exporters augur runs in the stack's namespace: node-exporter (a
DaemonSet on every node, and its Service) and kube-state-metrics (a Deployment, its Service,
and read-only cluster access to the objects it reports).

node-exporter reads the host: it shares the node's network (interface statistics) and PID
namespace (process counts), reads /proc, /sys and the root filesystem through read-only
hostPath mounts, and tolerates every taint, so that no node goes unwatched. It still runs as
`nobody`, with no capability and a read-only root filesystem; a namespace enforcing the
`baseline` or `restricted` Pod Security Standard refuses such pods.

kube-state-metrics reports only the kinds augur's rules and dashboards read (`KSM_RESOURCES`):
its ClusterRole lists and watches those and nothing else (no Secrets, no ConfigMaps)."""

from __future__ import annotations

from typing import Any

from augur import versions
from augur.api.clustermonitoring import ClusterMonitoring
from augur.api.resources import MonitoringStack
from augur.api.workload import PodSettings
from augur.render.cluster.ports import (
    KSM_PORT,
    KSM_PORT_NAME,
    KSM_TELEMETRY_PORT,
    KSM_TELEMETRY_PORT_NAME,
    NODE_EXPORTER_PORT,
    NODE_EXPORTER_PORT_NAME,
)
from augur.render.k8s.labels import metadata, selector_labels
from augur.render.k8s.workloads import (
    Workload,
    client_service,
    container_security_context,
    deployment,
    http_probe,
    pod_template,
    resources,
    service_account,
)

Obj = dict[str, Any]

NODE_EXPORTER = "node-exporter"
KUBE_STATE_METRICS = "kube-state-metrics"
NODE_EXPORTER_REQUESTS = {"cpu": "50m", "memory": "64Mi"}
KSM_REQUESTS = {"cpu": "50m", "memory": "128Mi"}
HOST_ROOT = "/host/root"
# Mount points and interfaces of containers, not of the node: their filesystems are the
# node's own seen again, and pod interfaces come and go with every pod.
MOUNT_POINTS_EXCLUDE = (
    "^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)"
)
DEVICES_EXCLUDE = "^(veth.*|cali.*|cilium.*|lxc.*|flannel.*|cni.*|[a-f0-9]{15})$"

LINUX = {"kubernetes.io/os": "linux"}
"""Both exporters are built for Linux only (no Windows node runs them)."""

KSM_RESOURCES: tuple[tuple[str, str], ...] = (
    ("", "namespaces"),
    ("", "nodes"),
    ("", "persistentvolumeclaims"),
    ("", "pods"),
    ("apps", "daemonsets"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("autoscaling", "horizontalpodautoscalers"),
    ("batch", "jobs"),
)
"""(API group, resource) of every kind kube-state-metrics reports: its `--resources` and its
ClusterRole (list and watch) both come from here."""


def ksm_cluster_rules() -> list[Obj]:
    """The ClusterRole rules of kube-state-metrics: list and watch of `KSM_RESOURCES`."""
    groups: dict[str, list[str]] = {}
    for group, resource in KSM_RESOURCES:
        groups.setdefault(group, []).append(resource)
    return [
        {"apiGroups": [group], "resources": sorted(found), "verbs": ["list", "watch"]}
        for group, found in sorted(groups.items())
    ]


def cluster_role_name(stack: MonitoringStack, program: str) -> str:
    """A cluster-scoped object's name: unique per stack across namespaces."""
    return f"augur-{stack.namespace}-{stack.name}-{program}"


def _host_volumes() -> tuple[list[Obj], list[Obj]]:
    volumes: list[Obj] = []
    mounts: list[Obj] = []
    for name, host, inside in (("proc", "/proc", "/host/proc"), ("sys", "/sys", "/host/sys")):
        volumes.append({"name": name, "hostPath": {"path": host}})
        mounts.append({"name": name, "mountPath": inside, "readOnly": True})
    volumes.append({"name": "root", "hostPath": {"path": "/"}})
    # HostToContainer: filesystems the node mounts later (volumes) are seen too.
    mounts.append(
        {
            "name": "root",
            "mountPath": HOST_ROOT,
            "readOnly": True,
            "mountPropagation": "HostToContainer",
        }
    )
    return volumes, mounts


def _node_exporter_container(spec: ClusterMonitoring, mounts: list[Obj]) -> Obj:
    return {
        "name": NODE_EXPORTER,
        "image": spec.node_exporter_image or versions.NODE_EXPORTER_IMAGE,
        "args": [
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            f"--path.rootfs={HOST_ROOT}",
            f"--path.udev.data={HOST_ROOT}/run/udev/data",
            f"--web.listen-address=:{NODE_EXPORTER_PORT}",
            f"--collector.filesystem.mount-points-exclude={MOUNT_POINTS_EXCLUDE}",
            f"--collector.netclass.ignored-devices={DEVICES_EXCLUDE}",
            f"--collector.netdev.device-exclude={DEVICES_EXCLUDE}",
        ],
        # hostPort: the scheduler then knows the node's port is taken (a second
        # node-exporter on the same node stays Pending instead of crash-looping).
        "ports": [
            {
                "name": NODE_EXPORTER_PORT_NAME,
                "containerPort": NODE_EXPORTER_PORT,
                "hostPort": NODE_EXPORTER_PORT,
                "protocol": "TCP",
            }
        ],
        "resources": resources(spec.node_exporter_resources, NODE_EXPORTER_REQUESTS),
        "readinessProbe": http_probe("/", NODE_EXPORTER_PORT_NAME, period=10),
        "livenessProbe": http_probe("/", NODE_EXPORTER_PORT_NAME, period=20, failures=6),
        "volumeMounts": mounts,
        "securityContext": container_security_context(),
    }


def node_exporter_workload(stack: MonitoringStack) -> Workload:
    """node-exporter's description (one pod per node; replicas are the DaemonSet's)."""
    spec = stack.spec.cluster_monitoring
    volumes, mounts = _host_volumes()
    return Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=NODE_EXPORTER,
        replicas=1,
        pod=PodSettings(),
        containers=[_node_exporter_container(spec, mounts)],
        volumes=volumes,
        termination_grace_seconds=30,
    )


def daemon_set(w: Workload) -> Obj:
    """The node-exporter DaemonSet: the host's network and PID namespace, every taint
    tolerated, a tenth of the nodes updated at a time."""
    template = pod_template(w)
    spec = template["spec"]
    spec["hostNetwork"] = True
    spec["hostPID"] = True
    spec["nodeSelector"] = dict(LINUX)
    spec["tolerations"] = [{"operator": "Exists"}]
    spec["volumes"] = list(w.volumes)  # no data volume: node-exporter keeps no state
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": w.meta(),
        "spec": {
            "selector": {"matchLabels": selector_labels(w.stack, w.program)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": template,
        },
    }


def node_exporter_objects(stack: MonitoringStack) -> list[Obj]:
    """node-exporter's ServiceAccount (no token), DaemonSet and Service."""
    w = node_exporter_workload(stack)
    return [
        service_account(w),
        daemon_set(w),
        client_service(w, NODE_EXPORTER_PORT_NAME, NODE_EXPORTER_PORT),
    ]


def _ksm_container(spec: ClusterMonitoring) -> Obj:
    resource_names = ",".join(sorted(resource for _, resource in KSM_RESOURCES))
    return {
        "name": KUBE_STATE_METRICS,
        "image": spec.kube_state_metrics_image or versions.KUBE_STATE_METRICS_IMAGE,
        "args": [
            f"--port={KSM_PORT}",
            f"--telemetry-port={KSM_TELEMETRY_PORT}",
            f"--resources={resource_names}",
        ],
        "ports": [
            {"name": KSM_PORT_NAME, "containerPort": KSM_PORT, "protocol": "TCP"},
            {
                "name": KSM_TELEMETRY_PORT_NAME,
                "containerPort": KSM_TELEMETRY_PORT,
                "protocol": "TCP",
            },
        ],
        "resources": resources(spec.kube_state_metrics_resources, KSM_REQUESTS),
        "livenessProbe": http_probe("/livez", KSM_PORT_NAME, period=10),
        "readinessProbe": http_probe("/readyz", KSM_TELEMETRY_PORT_NAME, period=10),
        "securityContext": container_security_context(),
    }


def ksm_workload(stack: MonitoringStack) -> Workload:
    """kube-state-metrics' description: one replica (two would report every object twice)."""
    return Workload(
        stack=stack.name,
        namespace=stack.namespace,
        program=KUBE_STATE_METRICS,
        replicas=1,
        pod=PodSettings(node_selector=LINUX),
        containers=[_ksm_container(stack.spec.cluster_monitoring)],
        volumes=[],
        automount_token=True,  # it lists and watches the objects it reports
        termination_grace_seconds=30,
    )


def ksm_rbac(stack: MonitoringStack, w: Workload) -> list[Obj]:
    """The ClusterRole (list and watch of what it reports) and its binding."""
    name = cluster_role_name(stack, KUBE_STATE_METRICS)
    meta = metadata(name, None, w.stack, w.program)
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta,
            "rules": ksm_cluster_rules(),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta,
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": [{"kind": "ServiceAccount", "name": w.name, "namespace": w.namespace}],
        },
    ]


def ksm_objects(stack: MonitoringStack) -> list[Obj]:
    """kube-state-metrics' ServiceAccount, RBAC, Deployment and Service."""
    w = ksm_workload(stack)
    return [
        service_account(w),
        *ksm_rbac(stack, w),
        deployment(w, recreate=False, template_annotations={}),
        client_service(w, KSM_PORT_NAME, KSM_PORT),
    ]


def cluster_objects(stack: MonitoringStack) -> list[Obj]:
    """Every exporter object the stack's cluster monitoring runs (none when it is off)."""
    spec = stack.spec.cluster_monitoring
    objects: list[Obj] = []
    if spec.part("node_exporter"):
        objects += node_exporter_objects(stack)
    if spec.part("kube_state_metrics"):
        objects += ksm_objects(stack)
    return objects

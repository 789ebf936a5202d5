"""The scrape jobs of cluster monitoring, handed to Prometheus as `ScrapeJobs`, and the
cluster access they need (least privilege: only what the enabled jobs read).

- node-exporter and kube-state-metrics: the pods augur runs in the stack's namespace;
- kubelet and cAdvisor: every node (`role: node`), over https to the kubelet's port (10250
  unless a node says otherwise) with Prometheus' own ServiceAccount token and the cluster's
  CA; the kubelet authorizes both paths as `nodes/metrics`, so `nodes/proxy` is not needed;
- the API server: the `kubernetes` Service's endpoints in `default` (non-resource `/metrics`);
- CoreDNS: the endpoints of the Service labelled k8s-app=kube-dns in kube-system.

Tenancy: targets discovered in a namespace carry it as `namespace` (and as the enforced label),
as every Kubernetes target of a stack does. kube-state-metrics, the kubelet and cAdvisor
report other namespaces' objects: their series keep the namespace they describe
(kube-state-metrics' labels are honoured, the target's own namespace, pod and service are not
added), and under an enforced label other than `namespace` that label is copied from it. A
series of no namespace (a node's) carries neither, so only the stack's own rules see it."""

from __future__ import annotations

from typing import Any

from augur.api.resources import MonitoringStack
from augur.render.cluster.objects import KUBE_STATE_METRICS, NODE_EXPORTER
from augur.render.cluster.ports import (
    API_SERVER_PORT_NAME,
    COREDNS_PORT_NAME,
    KSM_PORT_NAME,
    NODE_EXPORTER_PORT_NAME,
)
from augur.render.component_output import ScrapeJobs
from augur.render.k8s.labels import scrape_job_name, selector_labels

Obj = dict[str, Any]

_META = "__meta_kubernetes_"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_FILE = f"{SERVICE_ACCOUNT_DIR}/token"
CA_FILE = f"{SERVICE_ACCOUNT_DIR}/ca.crt"
"""Prometheus' own ServiceAccount token and the cluster CA, mounted by Kubernetes (augur's
configuration: no user chooses these paths)."""

NODE_EXPORTER_JOB = scrape_job_name(NODE_EXPORTER)
KSM_JOB = scrape_job_name(KUBE_STATE_METRICS)
KUBELET_JOB = scrape_job_name("kubelet")
CADVISOR_JOB = scrape_job_name("cadvisor")
API_SERVER_JOB = scrape_job_name("apiserver")
COREDNS_JOB = scrape_job_name("coredns")
BASELINE_JOBS = (
    NODE_EXPORTER_JOB,
    KSM_JOB,
    KUBELET_JOB,
    CADVISOR_JOB,
    API_SERVER_JOB,
    COREDNS_JOB,
)

API_SERVER_NAMESPACE = "default"
API_SERVER_SERVICE = "kubernetes"
COREDNS_NAMESPACE = "kube-system"
COREDNS_SERVICE_LABELS = {"k8s-app": "kube-dns"}
CADVISOR_DROPPED = "container_(tasks_state|memory_failures_total|blkio_device_usage_total)"
"""cAdvisor series no rule or dashboard reads, among its most numerous."""

NODE_RULES: tuple[Obj, ...] = (
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
    {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
)
"""Node discovery, and the kubelet's /metrics and /metrics/cadvisor."""
API_SERVER_RULES: tuple[Obj, ...] = ({"nonResourceURLs": ["/metrics"], "verbs": ["get"]},)


def _copy(meta: str, target: str) -> Obj:
    return {"source_labels": [f"{_META}{meta}"], "target_label": target}


def _keep(meta: str, value: str) -> Obj:
    return {"source_labels": [f"{_META}{meta}"], "regex": value, "action": "keep"}


def _namespace_labels(tenancy: str | None) -> list[Obj]:
    """The target's namespace as `namespace`, and as the enforced label under tenancy."""
    rules = [_copy("namespace", "namespace")]
    if tenancy not in (None, "namespace"):
        rules.append(_copy("namespace", str(tenancy)))
    return rules


def _series_tenancy(tenancy: str | None) -> list[Obj]:
    """metric_relabel_configs of jobs whose series describe other namespaces: the enforced
    label is each series' own namespace (none without one)."""
    if tenancy in (None, "namespace"):
        return []
    label = str(tenancy)
    return [
        {"action": "labeldrop", "regex": label},
        {"source_labels": ["namespace"], "regex": "(.+)", "target_label": label},
    ]


def _stack_pod_job(stack: MonitoringStack, job: str, program: str, port: str) -> Obj:
    """Pods of an exporter augur runs in the stack's namespace, on their metrics port."""
    labels = selector_labels(stack.name, program)
    relabel: list[Obj] = [
        _keep("pod_phase", "Running"),
        *(
            {
                "source_labels": [f"{_META}pod_label_{_label(key)}"],
                "regex": value,
                "action": "keep",
            }
            for key, value in sorted(labels.items())
        ),
        _keep("pod_container_port_name", port),
    ]
    return {
        "job_name": job,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [stack.namespace]}}],
        "relabel_configs": relabel,
    }


def _label(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key)


def node_exporter_job(stack: MonitoringStack) -> Obj:
    """node-exporter on every node; `node` is the node's name (as kube-state-metrics says it)."""
    job = _stack_pod_job(stack, NODE_EXPORTER_JOB, NODE_EXPORTER, NODE_EXPORTER_PORT_NAME)
    tenancy = stack.spec.tenancy.enforce_namespace_label
    job["relabel_configs"] += [
        *_namespace_labels(tenancy),
        _copy("pod_name", "pod"),
        _copy("pod_container_name", "container"),
        _copy("pod_node_name", "node"),
    ]
    return job


def ksm_job(stack: MonitoringStack) -> Obj:
    """kube-state-metrics: its labels are honoured (namespace, pod, container are those of
    the objects it reports), and its own pod's are not added."""
    job = _stack_pod_job(stack, KSM_JOB, KUBE_STATE_METRICS, KSM_PORT_NAME)
    job = {"job_name": job.pop("job_name"), "honor_labels": True, **job}
    tenancy = _series_tenancy(stack.spec.tenancy.enforce_namespace_label)
    if tenancy:
        job["metric_relabel_configs"] = tenancy
    return job


def _kubelet_job(stack: MonitoringStack, job: str, path: str, drop: str | None) -> Obj:
    """Every node's kubelet over https with Prometheus' token; `node` is the node's name."""
    tls: Obj = {"ca_file": CA_FILE}
    if stack.spec.cluster_monitoring.kubelet_insecure_skip_verify:
        tls["insecure_skip_verify"] = True
    entry: Obj = {
        "job_name": job,
        "metrics_path": path,
        "scheme": "https",
        "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE},
        "tls_config": tls,
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [_copy("node_name", "node")],
    }
    metric_relabel: list[Obj] = []
    if drop is not None:
        metric_relabel.append({"source_labels": ["__name__"], "regex": drop, "action": "drop"})
    metric_relabel += _series_tenancy(stack.spec.tenancy.enforce_namespace_label)
    if metric_relabel:
        entry["metric_relabel_configs"] = metric_relabel
    return entry


def kubelet_job(stack: MonitoringStack) -> Obj:
    """The kubelets' own metrics (volumes of claims, certificates, pod lifecycle)."""
    return _kubelet_job(stack, KUBELET_JOB, "/metrics", None)


def cadvisor_job(stack: MonitoringStack) -> Obj:
    """The kubelets' cAdvisor: every container's CPU, memory and OOM events. Its timestamps
    are not honoured: cAdvisor stamps each series with when it last looked, which makes
    Prometheus drop samples as out of order or mark series stale late."""
    entry = _kubelet_job(stack, CADVISOR_JOB, "/metrics/cadvisor", CADVISOR_DROPPED)
    return {"job_name": entry.pop("job_name"), "honor_timestamps": False, **entry}


def _endpoints_job(
    stack: MonitoringStack,
    job: str,
    namespace: str,
    keep: list[Obj],
    port: str,
    scheme: str,
) -> Obj:
    relabel: list[Obj] = [
        {
            "source_labels": [f"{_META}endpointslice_endpoint_conditions_ready"],
            "regex": "false",
            "action": "drop",
        },
        *keep,
        _keep("endpointslice_port_name", port),
        *_namespace_labels(stack.spec.tenancy.enforce_namespace_label),
        _copy("service_name", "service"),
    ]
    return {
        "job_name": job,
        "scheme": scheme,
        "kubernetes_sd_configs": [{"role": "endpointslice", "namespaces": {"names": [namespace]}}],
        "relabel_configs": relabel,
    }


def api_server_job(stack: MonitoringStack) -> Obj:
    """The API server through the `kubernetes` Service's endpoints, with Prometheus' token."""
    entry = _endpoints_job(
        stack,
        API_SERVER_JOB,
        API_SERVER_NAMESPACE,
        [_keep("service_name", API_SERVER_SERVICE)],
        API_SERVER_PORT_NAME,
        "https",
    )
    head = {k: entry.pop(k) for k in ("job_name", "scheme")}
    return {
        **head,
        "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE},
        "tls_config": {"ca_file": CA_FILE},
        **entry,
    }


def coredns_job(stack: MonitoringStack) -> Obj:
    """CoreDNS through the kube-dns Service's endpoints (its pods' names as `pod`)."""
    keep = [
        {
            "source_labels": [f"{_META}service_label_{_label(key)}"],
            "regex": value,
            "action": "keep",
        }
        for key, value in sorted(COREDNS_SERVICE_LABELS.items())
    ]
    entry = _endpoints_job(stack, COREDNS_JOB, COREDNS_NAMESPACE, keep, COREDNS_PORT_NAME, "http")
    entry["relabel_configs"].append(_copy("pod_name", "pod"))
    return entry


def cluster_scrape(stack: MonitoringStack) -> ScrapeJobs:
    """The scrape jobs of the enabled parts, the namespaces they discover in, and the cluster
    access they need beyond discovery (none when cluster monitoring is off)."""
    spec = stack.spec.cluster_monitoring
    jobs: list[Obj] = []
    namespaces: set[str] = set()
    rules: list[Obj] = []
    if spec.part("node_exporter"):
        jobs.append(node_exporter_job(stack))
        namespaces.add(stack.namespace)
    if spec.part("kube_state_metrics"):
        jobs.append(ksm_job(stack))
        namespaces.add(stack.namespace)
    if spec.part("kubelet"):
        jobs.append(kubelet_job(stack))
    if spec.part("cadvisor"):
        jobs.append(cadvisor_job(stack))
    if spec.part("kubelet") or spec.part("cadvisor"):
        rules += NODE_RULES
    if spec.part("api_server"):
        jobs.append(api_server_job(stack))
        namespaces.add(API_SERVER_NAMESPACE)
        rules += API_SERVER_RULES
    if spec.part("core_dns"):
        jobs.append(coredns_job(stack))
        namespaces.add(COREDNS_NAMESPACE)
    return ScrapeJobs(tuple(jobs), frozenset(namespaces), tuple(rules))

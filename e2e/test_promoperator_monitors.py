"""prometheus-operator's ServiceMonitors and PodMonitors loaded by a MonitoringStack on a real
API server, with no prometheus-operator running: only their CRDs (e2e/data, v0.85.0's own).

Under the stack's tenancy a tenant's ServiceMonitor and PodMonitor become scrape jobs of the
stack's Prometheus, held to their namespace (the enforced label set last); one that names a
file path is rejected and named in the stack's status; the Secret a tenant's monitor names is
not copied without its namespace's consent; deleting a monitor removes its job. augur never
writes to them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from e2e.conftest import REPO_ROOT, Cluster
from e2e.operator_fixtures import (
    OperatorProcess,
    condition,
    get,
    operator_fixture,
    promoperator_stack,
    wait_for,
)

__all__ = ["operator_fixture"]  # the module's operator, used by name

CRDS = {
    "servicemonitors.monitoring.coreos.com": "monitoring.coreos.com_servicemonitors.yaml",
    "podmonitors.monitoring.coreos.com": "monitoring.coreos.com_podmonitors.yaml",
}


def monitors(tenant: str) -> str:
    return f"""
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: redis, namespace: {tenant}, labels: {{release: redis}}}}
spec:
  namespaceSelector: {{any: true}}
  selector: {{matchLabels: {{app.kubernetes.io/name: redis-exporter}}}}
  endpoints:
    - port: metrics
      honorLabels: true
      authorization: {{credentials: {{name: redis-scrape, key: token}}}}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {{name: postgres, namespace: {tenant}}}
spec:
  selector: {{matchLabels: {{app: postgres}}}}
  podMetricsEndpoints: [{{port: metrics, interval: 15s}}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: token-thief, namespace: {tenant}}}
spec:
  selector: {{matchLabels: {{app: x}}}}
  endpoints:
    - port: metrics
      bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
"""


def scrape_jobs(cluster: Cluster, namespace: str) -> dict[str, dict[str, Any]]:
    """The stack's Prometheus scrape jobs, by name."""
    found = get(cluster, "configmap", "platform-prometheus-config", "-n", namespace) or {}
    text = (found.get("data") or {}).get("prometheus.yml") or "{}"
    config = yaml.safe_load(text) or {}
    return {job["job_name"]: job for job in config.get("scrape_configs") or []}


def selected(cluster: Cluster, namespace: str) -> dict[str, Any]:
    found = get(cluster, "mstack", "platform", "-n", namespace) or {}
    return dict((found.get("status") or {}).get("selected") or {})


@pytest.fixture
def tenant(cluster: Cluster) -> Iterator[str]:
    name = f"e2e-shop-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl(
        "create", "secret", "generic", "redis-scrape", "-n", name, "--from-literal=token=t0ken"
    )
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_monitors_become_scrape_jobs_held_to_their_namespace(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str, tenant: str
) -> None:
    cluster = crds_installed
    for name, file in CRDS.items():
        cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "e2e" / "data" / file))
        cluster.kubectl("wait", "--for=condition=Established", "crd", name, "--timeout=60s")
    cluster.kubectl(
        "apply", "-f", "-", stdin=promoperator_stack(namespace, tenant) + "---" + monitors(tenant)
    )

    service_job = f"serviceMonitor/{tenant}/redis/0"
    pod_job = f"podMonitor/{tenant}/postgres/0"

    def loaded() -> dict[str, dict[str, Any]] | None:
        jobs = scrape_jobs(cluster, namespace)
        return jobs if service_job in jobs and pod_job in jobs else None

    jobs = wait_for("the monitors' jobs in prometheus.yml", loaded)
    assert not any("token-thief" in name for name in jobs)
    for name in (service_job, pod_job):
        job = jobs[name]
        # its own namespace only, whatever its namespaceSelector; honorLabels off
        assert job["kubernetes_sd_configs"][0]["namespaces"] == {"names": [tenant]}
        assert job["honor_labels"] is False
        assert job["relabel_configs"][-1] == {"target_label": "namespace", "replacement": tenant}
    assert jobs[pod_job]["scrape_interval"] == "15s"
    assert jobs[service_job]["authorization"]["credentials_file"].startswith(
        "/etc/prometheus/credentials/"
    )

    def counted() -> dict[str, Any] | None:
        counts = selected(cluster, namespace)
        done = counts.get("serviceMonitors") == 1 and counts.get("podMonitors") == 1
        return counts if done and counts.get("rejected") == 1 else None

    wait_for("status.selected counting the monitors", counted)
    status = get(cluster, "mstack", "platform", "-n", namespace)
    degraded = condition(status, "Degraded")
    assert degraded is not None and degraded["status"] == "True"
    message = degraded["message"]
    assert (
        f"ServiceMonitor/{tenant}/token-thief: spec.endpoints[0].bearerTokenFile: file paths "
        "are refused"
    ) in message
    # the tenant's namespace did not consent: its Secret is not copied
    assert "redis-scrape" in message and "does not allow the stacks of namespace" in message

    # augur never writes to them
    for kind, name in (("servicemonitor", "redis"), ("podmonitor", "postgres")):
        found = get(cluster, kind, name, "-n", tenant, "--show-managed-fields") or {}
        meta = found.get("metadata") or {}
        assert not meta.get("finalizers")
        assert {m.get("manager") for m in meta.get("managedFields") or []} == {
            "kubectl-client-side-apply"
        }

    cluster.kubectl("delete", "servicemonitor", "redis", "-n", tenant)
    wait_for(
        "the job gone with its ServiceMonitor",
        lambda: service_job not in scrape_jobs(cluster, namespace),
    )
    wait_for(
        "the count back to 0", lambda: selected(cluster, namespace).get("serviceMonitors") == 0
    )


def test_crds_removed_and_installed_again_under_a_running_operator(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str, tenant: str
) -> None:
    """Uninstalling prometheus-operator's CRDs does not stop augur, and installing them again
    is followed: both kinds are watched again and the monitors load (kopf alone could miss a
    kind whose CRD had just been created, and stopped the operator when a watched one went)."""
    cluster = crds_installed
    if cluster.plane is None:
        pytest.skip("removes CRDs: only on the tests' own control plane")
    cluster.kubectl("apply", "-f", "-", stdin=promoperator_stack(namespace, tenant))
    service_job = f"serviceMonitor/{tenant}/redis/0"
    pod_job = f"podMonitor/{tenant}/postgres/0"
    for round_ in range(3):
        for name in CRDS:
            cluster.kubectl("delete", "crd", name, "--ignore-not-found")
        wait_for(
            f"round {round_}: the jobs gone with their CRDs",
            lambda: not {service_job, pod_job} & set(scrape_jobs(cluster, namespace)),
        )
        assert operator.process.poll() is None, "the operator stopped when the CRDs went"
        for name, file in CRDS.items():
            cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "e2e" / "data" / file))
            cluster.kubectl("wait", "--for=condition=Established", "crd", name, "--timeout=60s")
        cluster.kubectl("apply", "-f", "-", stdin=monitors(tenant))
        wait_for(
            f"round {round_}: both monitors' jobs in prometheus.yml again",
            lambda: {service_job, pod_job} <= set(scrape_jobs(cluster, namespace)),
            timeout=60,
        )
    assert operator.process.poll() is None
    assert "has failed" not in operator.text()

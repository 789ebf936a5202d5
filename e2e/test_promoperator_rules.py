"""prometheus-operator's PrometheusRules loaded by a MonitoringStack on a real API server, with
no prometheus-operator running: only its CRD (e2e/data, v0.85.0's own).

The module's operator starts before the CRD exists: it works as usual without it (no error
logged), and once the CRD is installed it watches PrometheusRules without a restart. A stack
that enables prometheusOperatorObjects under tenancy loads a PrometheusRule of a selected
namespace into its rule ConfigMaps, restricted to that namespace; one of an unselected
namespace is not loaded; an invalid one is counted as rejected and named in the stack's
status; deleting a PrometheusRule removes its rule file. augur never writes to them."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

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

CRD = REPO_ROOT / "e2e" / "data" / "monitoring.coreos.com_prometheusrules.yaml"
CRD_NAME = "prometheusrules.monitoring.coreos.com"


def policy(namespace: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: own, namespace: {namespace}}}
spec:
  alerts:
    - {{name: OwnTargetDown, severity: high, expr: 'up == 0', summary: down}}
"""


def prometheus_rule(namespace: str, name: str, alert: str, expr: str) -> str:
    return f"""
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: {name}, namespace: {namespace}, labels: {{release: redis}}}}
spec:
  groups:
  - name: redis
    interval: 30s
    partial_response_strategy: warn
    rules:
    - alert: {alert}
      expr: '{expr}'
      for: 5m
      labels: {{severity: critical}}
      annotations: {{summary: 'Redis down ({{{{ $labels.instance }}}})'}}
    - record: redis:connected_clients:sum
      expr: sum(redis_connected_clients)
"""


def rule_files(cluster: Cluster, namespace: str) -> dict[str, str]:
    """Every rule file of the stack's rule ConfigMaps, by its key."""
    found = get(cluster, "configmaps", "-n", namespace, "-l", "app.kubernetes.io/managed-by=augur")
    files: dict[str, str] = {}
    for item in (found or {}).get("items") or []:
        if "rules" not in item["metadata"]["name"]:
            continue
        for key, value in (item.get("data") or {}).items():
            files[key] = str(value)
        for key, value in (item.get("binaryData") or {}).items():
            files[key] = base64.b64decode(value).decode(errors="replace")
    return files


def selected(cluster: Cluster, namespace: str) -> dict[str, Any]:
    found = get(cluster, "mstack", "platform", "-n", namespace) or {}
    return dict((found.get("status") or {}).get("selected") or {})


@pytest.fixture
def tenants(cluster: Cluster) -> Iterator[tuple[str, str]]:
    """A namespace the stack selects and one it does not."""
    names = (f"e2e-cache-{uuid.uuid4().hex[:6]}", f"e2e-ml-{uuid.uuid4().hex[:6]}")
    for name in names:
        cluster.kubectl("create", "namespace", name)
    yield names
    for name in names:
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def errors_logged(operator: OperatorProcess) -> list[str]:
    """Errors, and warnings about prometheus-operator's kinds (their CRD missing is no
    problem: kopf's "Unresolved resources" warning is filtered for them)."""
    return [
        line
        for line in operator.text().splitlines()
        if "[ERROR" in line
        or "Traceback" in line
        or '"level": "error"' in line
        or ("Unresolved resources" in line and "monitoring.coreos.com" in line)
    ]


def test_without_the_crd_the_operator_works_and_logs_no_error(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    if cluster.plane is not None:  # the tests' own control plane: start from no CRD
        cluster.kubectl("delete", "crd", CRD_NAME, "--ignore-not-found")
    assert get(cluster, "crd", CRD_NAME) is None
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=promoperator_stack(namespace, namespace) + "---" + policy(namespace),
    )

    def loaded() -> dict[str, str] | None:
        files = rule_files(cluster, namespace)
        return files if f"{namespace}__own.yaml" in files else None

    files = wait_for("the policy's rules with no PrometheusRule CRD", loaded)
    assert not any(key.startswith("promrule__") for key in files)
    counts = wait_for("the stack's counts", lambda: selected(cluster, namespace) or None)
    assert counts["alertPolicies"] == 1 and counts["prometheusRules"] == 0
    reconciled = condition(get(cluster, "mstack", "platform", "-n", namespace), "Reconciled")
    assert reconciled is not None and reconciled["status"] == "True"
    assert errors_logged(operator) == []


def test_prometheus_rules_load_once_the_crd_appears(
    operator: OperatorProcess,
    crds_installed: Cluster,
    namespace: str,
    tenants: tuple[str, str],
) -> None:
    cluster = crds_installed
    tenant, unselected = tenants
    cluster.kubectl("apply", "--server-side", "-f", str(CRD))
    cluster.kubectl("wait", "--for=condition=Established", "crd", CRD_NAME, "--timeout=60s")
    documents = [
        promoperator_stack(namespace, tenant),
        prometheus_rule(tenant, "redis", "RedisDown", "redis_up == 0"),
        prometheus_rule(unselected, "trainer", "TrainerDown", "up == 0"),
        # the CRD takes any string as expr: augur refuses what Prometheus would
        prometheus_rule(tenant, "broken", "Broken", "sum(rate(redis_up[5m])"),
    ]
    cluster.kubectl("apply", "-f", "-", stdin="---".join(documents))

    key = f"promrule__{tenant}__redis.yaml"
    files = wait_for(
        "the PrometheusRule's rule file in the stack's rule ConfigMaps",
        lambda: (lambda found: found if key in found else None)(rule_files(cluster, namespace)),
    )
    text = files[key]
    assert f'redis_up{{namespace="{tenant}"}} == 0' in text  # its own series only
    assert f'sum(redis_connected_clients{{namespace="{tenant}"}})' in text
    assert re.search(rf"labels:\n\s+severity: critical\n\s+namespace: {tenant}\n", text)
    assert "interval: 30s" in text and "partial_response_strategy" not in text
    assert not any("trainer" in k or "broken" in k for k in files)

    def counted() -> dict[str, Any] | None:
        counts = selected(cluster, namespace)
        return counts if counts.get("prometheusRules") == 1 and counts.get("rejected") else None

    counts = wait_for("status.selected counting the PrometheusRules", counted)
    assert counts["rejected"] == 1
    degraded = condition(get(cluster, "mstack", "platform", "-n", namespace), "Degraded")
    assert degraded is not None and degraded["status"] == "True"
    assert (
        f"PrometheusRule/{tenant}/broken: spec.groups[0].rules[0].expr: invalid PromQL"
        in (degraded["message"])
    )

    # augur never writes to them: no finalizer, annotation or status of its own
    for name in ("redis", "broken"):
        rule = get(cluster, "prometheusrule", name, "-n", tenant, "--show-managed-fields") or {}
        meta = rule.get("metadata") or {}
        assert not meta.get("finalizers"), meta
        assert not any("augur" in a or "kopf" in a for a in meta.get("annotations") or {})
        assert "status" not in rule
        managers = {m.get("manager") for m in meta.get("managedFields") or []}
        assert managers == {"kubectl-client-side-apply"}, json.dumps(meta.get("managedFields"))

    cluster.kubectl("delete", "prometheusrule", "redis", "-n", tenant)
    wait_for(
        "the rule file gone with its PrometheusRule",
        lambda: key not in rule_files(cluster, namespace),
    )
    wait_for(
        "the count back to 0",
        lambda: selected(cluster, namespace).get("prometheusRules") == 0,
    )
    assert errors_logged(operator) == []

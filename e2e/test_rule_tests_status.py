"""Rule tests in status: the operator runs an AlertPolicy's tests with promtool and writes
one entry per test, the failure count and the TestsPassed condition."""

from __future__ import annotations

from typing import Any

from e2e.conftest import Cluster
from e2e.operator_fixtures import (
    OperatorProcess,
    condition,
    get,
    operator_fixture,
    platform_stack,
    wait_for,
)

__all__ = ["operator_fixture"]  # the module's operator, used by name


def stack(namespace: str) -> str:
    return platform_stack(namespace)


def policy(namespace: str, quiet_at: str) -> str:
    """A policy whose `quiet` test passes when `quiet_at` is before the alert fires."""
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: api, namespace: {namespace}}}
spec:
  alerts:
    - {{name: TargetDown, severity: high, expr: 'up == 0', for: 5m, summary: down}}
  tests:
    - name: fires
      inputSeries: [{{series: 'up{{job="api"}}', values: '0x30'}}]
      expectAlerts: [{{alert: TargetDown, at: 10m}}]
    - name: quiet
      inputSeries: [{{series: 'up{{job="api"}}', values: '0x30'}}]
      expectAlerts: [{{alert: TargetDown, at: {quiet_at}, firing: false}}]
"""


def policy_when(cluster: Cluster, namespace: str, status: str) -> dict[str, Any] | None:
    """The policy once TestsPassed has `status` for its current generation."""
    found = get(cluster, "apol", "api", "-n", namespace)
    cond = condition(found, "TestsPassed")
    if not found or not cond or cond["status"] != status:
        return None
    current = cond.get("observedGeneration") == found["metadata"]["generation"]
    return found if current else None


def test_failing_and_passing_tests_are_in_status(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    # At 10m the alert (for: 5m) fires, so `quiet` fails there; at 2m it holds.
    cluster.kubectl("apply", "-f", "-", stdin=stack(namespace) + "---" + policy(namespace, "10m"))
    failing = wait_for(
        "TestsPassed=False", lambda: policy_when(cluster, namespace, "False"), timeout=120
    )
    cond = condition(failing, "TestsPassed")
    assert cond is not None
    assert cond["reason"] == "TestsFailed"
    assert "quiet" in cond["message"] and "fires" not in cond["message"]
    status = failing["status"]
    assert status["testsFailed"] == 1
    by_name = {t["name"]: t for t in status["tests"]}
    assert set(by_name) == {"fires", "quiet"}
    assert by_name["fires"]["passed"] is True
    assert "message" not in by_name["fires"]
    assert by_name["quiet"]["passed"] is False
    assert "expected no TargetDown firing, but it was" in by_name["quiet"]["message"]
    columns = cluster.kubectl("get", "apol", "api", "-n", namespace).stdout
    assert "TESTS-FAILED" in columns

    # Fix the test: both pass, the condition turns True.
    cluster.kubectl("apply", "-f", "-", stdin=policy(namespace, "2m"))
    passing = wait_for(
        "TestsPassed=True", lambda: policy_when(cluster, namespace, "True"), timeout=120
    )
    assert condition(passing, "TestsPassed")["reason"] == "AllPassed"  # type: ignore[index]
    assert passing["status"]["testsFailed"] == 0
    assert [t["passed"] for t in passing["status"]["tests"]] == [True, True]
    assert "Traceback" not in operator.text()

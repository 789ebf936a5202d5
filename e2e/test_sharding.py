"""Operator shards: two instances with different `--shard`s split the stacks by their
`augur.dev/shard` label; both are active (each peers in its own peering object), each
reconciles only its own stack, and a policy both stacks select has one status writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Cluster
from e2e.operator_fixtures import OperatorProcess, condition, get, start_operator, wait_for


def stack(namespace: str, name: str, shard: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{augur.dev/shard: {shard}}}
spec:
  alertmanager:
    defaultReceiver: {{name: default, webhook: {{url: "http://sink.example:8080/"}}}}
  grafana: {{enabled: false}}
  jaeger: {{enabled: false}}
"""


POLICY = """
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: shared, namespace: {namespace}}}
spec:
  alerts:
    - {{name: SharedDown, severity: high, expr: 'up == 0', for: 5m, summary: down}}
"""


def reconciled(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = get(cluster, "mstack", name, "-n", namespace)
        done = condition(obj, "Reconciled")
        current = (
            obj
            and (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]
        )
        return obj if done and done["status"] == "True" and current else None

    return wait_for(f"stack {name} to be reconciled", probe)


def registered(cluster: Cluster, peering: str, identity: str) -> bool:
    from augur.commands.run import priority_of

    found = get(cluster, "clusterkopfpeering", peering) or {}
    return priority_of(identity) in {
        p.get("priority") for p in (found.get("status") or {}).values()
    }


@pytest.fixture(name="shards")
def shards_fixture(
    crds_installed: Cluster, tmp_path: Path
) -> Iterator[tuple[OperatorProcess, OperatorProcess]]:
    red = start_operator(crds_installed, tmp_path / "red.log", "e2e-red", "--shard", "red")
    blue = start_operator(crds_installed, tmp_path / "blue.log", "e2e-blue", "--shard", "blue")
    try:
        yield red, blue
    finally:
        red.stop()
        blue.stop()


@pytest.mark.timeout(600)
def test_two_shards_each_reconcile_their_own_stack(
    shards: tuple[OperatorProcess, OperatorProcess], crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    red, blue = shards
    wait_for("the red shard's peering", lambda: registered(cluster, "augur-red", "e2e-red"))
    wait_for("the blue shard's peering", lambda: registered(cluster, "augur-blue", "e2e-blue"))
    # Each shard peers alone: neither instance is paused by the other.
    assert not registered(cluster, "augur-red", "e2e-blue")
    assert not registered(cluster, "augur-blue", "e2e-red")

    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=stack(namespace, "red", "red")
        + "---"
        + stack(namespace, "blue", "blue")
        + "---"
        + POLICY.format(namespace=namespace),
    )
    red_stack = reconciled(cluster, namespace, "red")
    blue_stack = reconciled(cluster, namespace, "blue")
    for name in ("red", "blue"):
        wait_for(
            f"the {name} stack's Prometheus",
            lambda name=name: get(cluster, "statefulset", f"{name}-prometheus", "-n", namespace),
        )

    # Each instance applied its own stack's objects and never touched the other's.
    assert f"stack {namespace}/red: applied" in red.text()
    assert f"stack {namespace}/blue" not in red.text()
    assert f"stack {namespace}/blue: applied" in blue.text()
    assert f"stack {namespace}/red" not in blue.text()
    # Each keeps its own finalizer on its own stack, and only there.
    assert red_stack["metadata"].get("finalizers") == ["red.shard.augur.dev/kopf-finalizer"]
    assert blue_stack["metadata"].get("finalizers") == ["blue.shard.augur.dev/kopf-finalizer"]

    # Both stacks load the shared policy; its status is written by the shard of the first
    # selecting stack (namespace/blue sorts first) and names that shard's stack.
    def shared_status() -> dict[str, Any] | None:
        found = get(cluster, "alertpolicy", "shared", "-n", namespace)
        status = (found or {}).get("status") or {}
        return status if status.get("stacks") else None

    status = wait_for("the shared policy's status", shared_status)
    assert status["stacks"] == [f"{namespace}/blue"]
    for name in ("red", "blue"):
        selected = (reconciled(cluster, namespace, name)["status"] or {}).get("selected") or {}
        assert selected.get("alertPolicies") == 1

    # Relabelling a stack moves it: the red instance lets it go, the blue one takes it over.
    cluster.kubectl(
        "label", "mstack", "red", "-n", namespace, "augur.dev/shard=blue", "--overwrite"
    )
    wait_for(
        "the blue instance to reconcile the relabelled stack",
        lambda: f"stack {namespace}/red" in blue.text(),
    )

    def handed_over() -> dict[str, Any] | None:
        obj = get(cluster, "mstack", "red", "-n", namespace) or {}
        finalizers = obj.get("metadata", {}).get("finalizers") or []
        return obj if finalizers == ["blue.shard.augur.dev/kopf-finalizer"] else None

    wait_for("the relabelled stack to carry only the blue finalizer", handed_over)

    # Both stacks are the blue shard's now: its instance writes the status with both.
    wait_for(
        "the shared policy's status to name both stacks",
        lambda: (shared_status() or {}).get("stacks") == [f"{namespace}/blue", f"{namespace}/red"],
    )

"""The operator killed in the middle of a large reconcile, then restarted: it converges, with
every policy's rules loaded once, statuses current and no object duplicated."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from augur.status.statuses import rules_in_file
from e2e.conftest import Cluster
from e2e.operator_fixtures import condition, get, start_operator, wait_for
from e2e.test_operator import owned, ready_stack, stack

POLICIES = 200


def many_policies(namespace: str) -> str:
    return "\n---".join(
        f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: p{i:03d}, namespace: {namespace}}}
spec:
  alerts:
    - {{name: Down{i}, severity: high, expr: 'up{{job="svc-{i}"}} == 0', for: 5m, summary: down}}
"""
        for i in range(POLICIES)
    )


def rule_groups(cluster: Cluster, namespace: str) -> Counter[str]:
    """How often each rule group appears across the stack's ConfigMaps, and rules per file."""
    groups: Counter[str] = Counter()
    for cm in owned(cluster, namespace, "configmaps"):
        for text in (cm.get("data") or {}).values():
            for line in str(text).splitlines():
                if line.startswith("- name: alertpolicy/"):
                    groups[line.removeprefix("- name: ")] += rules_in_file(str(text))
    return groups


def converged(cluster: Cluster, namespace: str) -> dict[str, Any] | None:
    """Every policy loaded by the stack, with a current status, or None."""
    listing = get(cluster, "apol", "-n", namespace) or {}
    items = list(listing.get("items") or [])
    if len(items) != POLICIES:
        return None
    for item in items:
        status = item.get("status") or {}
        ready = condition(item, "Ready")
        if (
            status.get("observedGeneration") != item["metadata"]["generation"]
            or not ready
            or ready["status"] != "True"
            or status.get("rules") != 1
        ):
            return None
    groups = rule_groups(cluster, namespace)
    expected = {f"alertpolicy/{namespace}/p{i:03d}" for i in range(POLICIES)}
    if not expected <= set(groups):
        return None
    return {"items": items, "groups": groups}


@pytest.mark.timeout(900)
def test_operator_killed_mid_reconcile_converges_after_restart(
    crds_installed: Cluster, namespace: str, tmp_path: Path
) -> None:
    cluster = crds_installed
    log = tmp_path / "operator.log"
    first = start_operator(cluster, log, "e2e-restart")
    try:
        cluster.kubectl("apply", "-f", "-", stdin=stack(namespace))
        ready_stack(cluster, namespace)
        cluster.kubectl("apply", "--server-side", "-f", "-", stdin=many_policies(namespace))
        # Kill as soon as the first of the policies' rules reach a ConfigMap: the operator
        # is then applying, or writing the policies' statuses one after another.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not rule_groups(cluster, namespace):
            time.sleep(0.2)
        first.stop(signal.SIGKILL)
        assert first.process.returncode == -signal.SIGKILL
    finally:
        first.stop()
    before = get(cluster, "apol", "-n", namespace) or {}
    unfinished = [i for i in before.get("items") or [] if (i.get("status") or {}).get("rules") != 1]
    second = start_operator(cluster, log, "e2e-restart")
    try:
        done = wait_for(
            "every policy loaded after the restart",
            lambda: converged(cluster, namespace),
            timeout=600,
        )
        # Nothing duplicated: each policy's group once, with its one rule.
        assert all(count == 1 for count in done["groups"].values()), done["groups"]
        for item in done["items"]:
            assert item["status"]["stacks"] == [f"{namespace}/platform"]
        obj = ready_stack(cluster, namespace)
        assert obj["status"]["selected"]["alertPolicies"] == POLICIES
        assert obj["status"]["selected"]["rules"] >= POLICIES
        # No duplicate objects: what the stack owns is exactly what it reports applying.
        kinds = "configmaps,secrets,services,statefulsets,serviceaccounts,roles,rolebindings"
        names = [(o["kind"], o["metadata"]["name"]) for o in owned(cluster, namespace, kinds)]
        assert len(names) == len(set(names))
        message = str(condition(obj, "Reconciled")["message"])  # type: ignore[index]
        assert int(message.split()[0]) >= len(names)
        rule_maps = [n for k, n in names if k == "ConfigMap" and "rules" in n]
        assert len(rule_maps) == len(set(rule_maps))
    finally:
        second.stop()
    # Recorded for whoever reads a failure: how much was left to do at the kill.
    print(f"{len(unfinished)} of {POLICIES} policy statuses unfinished at the kill")

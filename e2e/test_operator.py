"""The operator on a real control plane: reconcile, status, invalid input, drift, credentials,
garbage collection, and peering."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from e2e.conftest import Cluster
from e2e.operator_fixtures import (
    OperatorProcess,
    condition,
    get,
    operator_fixture,
    platform_stack,
    start_operator,
    wait_for,
)

__all__ = ["operator_fixture"]  # the module's operator, used by name

SECRET_VALUE = "https://hooks.example.com/very-secret-token-e2e"


def stack(namespace: str) -> str:
    return platform_stack(namespace)


def policy(namespace: str, name: str, expr: str = "up == 0", alert: str = "TargetDown") -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  alerts:
    - {{name: {alert}, severity: high, expr: '{expr}', for: 5m, summary: down}}
  routing:
    routes: [{{severities: [high], receivers: [slack]}}]
  receivers:
    - name: slack
      slack: {{apiURL: {{secretKeyRef: {{name: slack, key: url}}}}, channel: "#alerts"}}
"""


def owned(
    cluster: Cluster, namespace: str, kind: str = "configmaps,secrets"
) -> list[dict[str, Any]]:
    found = get(cluster, kind, "-n", namespace, "-l", "app.kubernetes.io/managed-by=augur")
    return list((found or {}).get("items") or [])


def ready_stack(cluster: Cluster, namespace: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = get(cluster, "mstack", "platform", "-n", namespace)
        ready = condition(obj, "Reconciled")
        current = (
            obj
            and (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]
        )
        if ready and ready["status"] == "True" and current:
            return obj
        return None

    return wait_for("the stack to be reconciled", probe)


def test_stack_and_policies_reconcile_and_invalid_policy_is_isolated(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    cluster.kubectl("apply", "-f", "-", stdin=stack(namespace) + "---" + policy(namespace, "good"))
    cluster.kubectl(
        "apply", "-f", "-", stdin=policy(namespace, "broken", expr="sum(rate(x[5m])", alert="Bad")
    )
    obj = ready_stack(cluster, namespace)
    assert obj["status"]["selected"]["alertPolicies"] == 1
    assert obj["status"]["selected"]["rejected"] == 1
    uid = obj["metadata"]["uid"]
    objects = owned(cluster, namespace)
    assert objects, "the stack owns objects"
    for item in objects:
        assert item["metadata"]["labels"]["augur.dev/stack-uid"] == uid
        assert item["metadata"]["ownerReferences"][0]["uid"] == uid

    def accepted(name: str, status: str) -> dict[str, Any] | None:
        found = get(cluster, "apol", name, "-n", namespace)
        cond = condition(found, "Accepted")
        return found if cond and cond["status"] == status else None

    good = wait_for("the good policy to be loaded", lambda: accepted("good", "True"))
    assert good["status"]["stacks"] == [f"{namespace}/platform"]
    broken = wait_for("the broken policy to be refused", lambda: accepted("broken", "False"))
    assert condition(broken, "Accepted")["reason"] == "InvalidSpec"  # type: ignore[index]
    events = wait_for(
        "an event about the broken policy",
        lambda: [
            e
            for e in (get(cluster, "events", "-n", namespace) or {}).get("items", [])
            if e["involvedObject"]["name"] == "broken" and e["type"] == "Warning"
        ],
    )
    assert events[0]["reason"] == "InvalidSpec"

    # An edit of the policy reaches the configuration the stack mounts.
    cluster.kubectl("apply", "-f", "-", stdin=policy(namespace, "good", alert="TargetVanished"))
    wait_for(
        "the edited alert in a ConfigMap",
        lambda: any(
            "TargetVanished" in json.dumps(cm.get("data"))
            for cm in owned(cluster, namespace, "configmaps")
        ),
        timeout=120,
    )


def test_drift_is_put_back(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    cluster.kubectl("apply", "-f", "-", stdin=stack(namespace) + "---" + policy(namespace, "good"))
    ready_stack(cluster, namespace)
    name = "platform-alertmanager-credentials"
    first = wait_for(
        "the credentials Secret", lambda: get(cluster, "secret", name, "-n", namespace)
    )
    cluster.kubectl("delete", "secret", name, "-n", namespace)
    back = wait_for(
        "the deleted Secret to come back",
        lambda: (
            (s := get(cluster, "secret", name, "-n", namespace))
            and s["metadata"]["uid"] != first["metadata"]["uid"]
            and s
        ),
    )
    assert back["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "augur"
    # A label augur manages edited by hand is restored; a label someone else adds stays.
    cluster.kubectl(
        "label",
        "secret",
        name,
        "-n",
        namespace,
        "--overwrite",
        "app.kubernetes.io/managed-by=someone",
        "team=mine",
    )
    restored = wait_for(
        "the managed label to be restored",
        lambda: (
            (s := get(cluster, "secret", name, "-n", namespace))
            and s["metadata"]["labels"].get("app.kubernetes.io/managed-by") == "augur"
            and s
        ),
    )
    assert restored["metadata"]["labels"]["team"] == "mine"


def test_missing_secret_then_created_and_no_secret_value_leaks(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    cluster.kubectl("apply", "-f", "-", stdin=stack(namespace) + "---" + policy(namespace, "good"))
    ready_stack(cluster, namespace)

    def secrets_resolved(status: str) -> dict[str, Any] | None:
        found = get(cluster, "apol", "good", "-n", namespace)
        cond = condition(found, "SecretsResolved")
        return found if cond and cond["status"] == status else None

    missing = wait_for("the missing Secret to be reported", lambda: secrets_resolved("False"))
    assert f"{namespace}/slack" in condition(missing, "SecretsResolved")["message"]  # type: ignore[index]
    cluster.kubectl(
        "create",
        "secret",
        "generic",
        "slack",
        "-n",
        namespace,
        f"--from-literal=url={SECRET_VALUE}",
    )
    wait_for("the condition to clear", lambda: secrets_resolved("True"), timeout=150)
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    wait_for(
        "the key copied into the stack's Secret",
        lambda: (
            encoded
            in json.dumps(
                (
                    get(cluster, "secret", "platform-alertmanager-credentials", "-n", namespace)
                    or {}
                ).get("data")
            )
        ),
    )
    places = {
        "configmaps": json.dumps(get(cluster, "configmaps", "-A")),
        "augur objects": json.dumps(get(cluster, "augur", "-A")),
        "events": json.dumps(get(cluster, "events", "-A")),
        "operator log": operator.text(),
    }
    for where, text in places.items():
        assert SECRET_VALUE not in text and encoded not in text, f"secret value in {where}"


def test_deleting_the_stack_collects_its_objects(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    cluster.kubectl("apply", "-f", "-", stdin=stack(namespace))
    ready_stack(cluster, namespace)
    assert owned(cluster, namespace)
    cluster.kubectl("delete", "mstack", "platform", "-n", namespace, "--wait=false")
    wait_for(
        "owned objects to be garbage-collected",
        lambda: not owned(cluster, namespace, "configmaps,secrets,statefulsets,services") or None,
        timeout=180,
    )


@pytest.mark.timeout(600)
def test_two_operators_only_one_acts(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str, tmp_path: Any
) -> None:
    from augur.commands.run import priority_of

    cluster = crds_installed
    second = start_operator(cluster, tmp_path / "second.log", "e2e-second")
    try:

        def both_registered() -> bool:
            peering = get(cluster, "clusterkopfpeering", "augur") or {}
            priorities = {p.get("priority") for p in (peering.get("status") or {}).values()}
            return {priority_of("e2e-main"), priority_of("e2e-second")} <= priorities

        wait_for("both operators to register in the peering object", both_registered, timeout=120)
        cluster.kubectl("apply", "-f", "-", stdin=stack(namespace))
        ready_stack(cluster, namespace)
        # The replica of higher priority acts; the other stays paused (kopf starts every peered
        # replica paused and only resumes the highest).
        if priority_of("e2e-main") > priority_of("e2e-second"):
            active, paused = operator, second
        else:
            active, paused = second, operator
        assert f"stack {namespace}/platform" in active.text()
        assert f"stack {namespace}/platform" not in paused.text()
    finally:
        second.stop()

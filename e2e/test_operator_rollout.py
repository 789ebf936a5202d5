"""Edits reach the workloads: a stack edit that needs new pods rolls the StatefulSet; a rule
or route edit reaches its ConfigMap or Secret and leaves the pod template alone (reload)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from e2e.conftest import Cluster
from e2e.operator_fixtures import OperatorProcess, get, operator_fixture, wait_for
from e2e.test_operator import owned, policy, ready_stack

__all__ = ["operator_fixture"]  # the module's operator, used by name


def stack(namespace: str, *, retention: str, replicas: int, group_wait: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: platform, namespace: {namespace}}}
spec:
  prometheus: {{retention: {retention}, replicas: {replicas}}}
  alertmanager:
    route: {{groupWait: {group_wait}}}
    defaultReceiver: {{name: default, webhook: {{url: "http://sink.example:8080/"}}}}
  grafana: {{enabled: false}}
  jaeger: {{enabled: false}}
"""


def statefulset(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return wait_for(
        f"StatefulSet {name}", lambda: get(cluster, "statefulset", name, "-n", namespace)
    )


def template(obj: dict[str, Any]) -> str:
    return json.dumps(obj["spec"]["template"], sort_keys=True)


def rolled(cluster: Cluster, namespace: str, name: str, old_revision: str) -> dict[str, Any] | None:
    """The StatefulSet once its pods run the new template (kwok makes them ready)."""
    obj = get(cluster, "statefulset", name, "-n", namespace)
    status = (obj or {}).get("status") or {}
    if (
        obj
        and status.get("observedGeneration") == obj["metadata"]["generation"]
        and status.get("updateRevision") != old_revision
        and status.get("currentRevision") == status.get("updateRevision")
        and status.get("updatedReplicas") == obj["spec"]["replicas"]
        and status.get("readyReplicas") == obj["spec"]["replicas"]
    ):
        return obj
    return None


def alertmanager_config(cluster: Cluster, namespace: str) -> str:
    texts = []
    for secret in owned(cluster, namespace, "secrets"):
        if "credentials" in secret["metadata"]["name"]:
            continue
        for value in (secret.get("data") or {}).values():
            raw = base64.b64decode(value)
            if raw[:2] == b"\x1f\x8b":  # the configuration is stored gzipped
                raw = gzip.decompress(raw)
            texts.append(raw.decode(errors="replace"))
    return "\n".join(texts)


@pytest.mark.timeout(900)
def test_edits_reach_config_and_workloads(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=stack(namespace, retention="15d", replicas=1, group_wait="30s")
        + "---"
        + policy(namespace, "app"),
    )
    ready_stack(cluster, namespace)
    prometheus = statefulset(cluster, namespace, "platform-prometheus")
    alertmanager = statefulset(cluster, namespace, "platform-alertmanager")
    wait_for(
        "the route in the Alertmanager configuration",
        lambda: "group_wait: 30s" in alertmanager_config(cluster, namespace),
    )

    # A rule edit reaches the rule ConfigMaps and leaves Prometheus' pod template alone.
    cluster.kubectl("apply", "-f", "-", stdin=policy(namespace, "app", alert="AppVanished"))
    wait_for(
        "the edited alert in a ConfigMap",
        lambda: any(
            "AppVanished" in json.dumps(cm.get("data"))
            for cm in owned(cluster, namespace, "configmaps")
        ),
    )
    ready_stack(cluster, namespace)
    after_rules = statefulset(cluster, namespace, "platform-prometheus")
    assert template(after_rules) == template(prometheus)
    assert after_rules["metadata"]["generation"] == prometheus["metadata"]["generation"]

    # A route edit reaches Alertmanager's configuration and leaves its pod template alone.
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=stack(namespace, retention="15d", replicas=1, group_wait="45s"),
    )
    wait_for(
        "the edited route in the Alertmanager configuration",
        lambda: "group_wait: 45s" in alertmanager_config(cluster, namespace),
    )
    ready_stack(cluster, namespace)
    after_route = statefulset(cluster, namespace, "platform-alertmanager")
    assert template(after_route) == template(alertmanager)

    # Retention and replicas need new pods: the StatefulSet changes and rolls.
    old_revision = str(prometheus["status"].get("updateRevision"))
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        stdin=stack(namespace, retention="7d", replicas=2, group_wait="45s"),
    )
    ready_stack(cluster, namespace)
    changed = wait_for(
        "the new retention in the StatefulSet",
        lambda: (
            (s := get(cluster, "statefulset", "platform-prometheus", "-n", namespace))
            and "--storage.tsdb.retention.time=7d" in template(s)
            and s
        ),
    )
    assert changed["spec"]["replicas"] == 2
    assert "--storage.tsdb.retention.time=15d" not in template(changed)
    wait_for(
        "Prometheus to roll to the new template",
        lambda: rolled(cluster, namespace, "platform-prometheus", old_revision),
        timeout=400,
    )

"""Whose Secrets a stack may copy, on a real control plane: a policy in a namespace labelled
allow-stack.augur.dev/<stack namespace>=true gets its receiver credential copied into the
stack's credentials Secret; a policy in a namespace without the label is loaded, its Secret is
not copied, and its status says why."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

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


def slack_policy(namespace: str, name: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  alerts:
    - {{name: Down, severity: high, expr: 'up == 0', for: 5m}}
  routing:
    routes: [{{severities: [high], receivers: [slack]}}]
  receivers:
    - name: slack
      slack: {{apiURL: {{secretKeyRef: {{name: slack, key: url}}}}, channel: "#alerts"}}
"""


def stack(namespace: str, selected: list[str]) -> str:
    return platform_stack(
        namespace,
        f"namespaceSelector: {{matchNames: {json.dumps([namespace, *selected])}}}",
        "prometheus: {enabled: false}",
        "grafana: {enabled: false}",
        "jaeger: {enabled: false}",
    )


@pytest.fixture
def tenants(crds_installed: Cluster, namespace: str) -> Iterator[tuple[str, str]]:
    """Two namespaces with a policy and its Slack Secret each: the first consents to the
    stacks of `namespace`, the second does not."""
    cluster = crds_installed
    suffix = uuid.uuid4().hex[:6]
    consenting, refusing = f"e2e-yes-{suffix}", f"e2e-no-{suffix}"
    for name in (consenting, refusing):
        cluster.kubectl("create", "namespace", name)
        cluster.kubectl(
            "create",
            "secret",
            "generic",
            "slack",
            "-n",
            name,
            f"--from-literal=url=https://hooks.example.com/{name}-token",
        )
    cluster.kubectl("label", "namespace", consenting, f"allow-stack.augur.dev/{namespace}=true")
    yield consenting, refusing
    for name in (consenting, refusing):
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_only_a_consenting_namespace_has_its_secret_copied(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str, tenants: tuple[str, str]
) -> None:
    cluster = crds_installed
    consenting, refusing = tenants
    documents = [
        stack(namespace, [consenting, refusing]),
        slack_policy(consenting, "allowed"),
        slack_policy(refusing, "refused"),
    ]
    cluster.kubectl("apply", "-f", "-", stdin="---".join(documents))

    def secrets_resolved(policy_namespace: str, name: str, status: str) -> dict[str, Any] | None:
        found = get(cluster, "apol", name, "-n", policy_namespace)
        cond = condition(found, "SecretsResolved")
        return cond if cond and cond["status"] == status else None

    allowed = wait_for(
        "the consenting namespace's policy to resolve its Secret",
        lambda: secrets_resolved(consenting, "allowed", "True"),
    )
    assert allowed["reason"] == "Resolved"
    refused = wait_for(
        "the other policy to say its Secret may not be copied",
        lambda: secrets_resolved(refusing, "refused", "False"),
    )
    assert refused["reason"] == "SecretNotPermitted"
    assert f"Secret {refusing}/slack not read" in refused["message"]
    assert f"allow-stack.augur.dev/{namespace}=true" in refused["message"]
    loaded = get(cluster, "apol", "refused", "-n", refusing) or {}
    assert (condition(loaded, "Ready") or {}).get("status") == "True"  # still loaded

    def copied() -> dict[str, str] | None:
        found = get(cluster, "secret", "platform-alertmanager-credentials", "-n", namespace)
        data = (found or {}).get("data") or {}
        return data if any(key.startswith(f"{consenting}_allowed_") for key in data) else None

    data = wait_for("the consenting namespace's credential in the stack's Secret", copied)
    values = {base64.b64decode(v).decode() for v in data.values()}
    assert f"https://hooks.example.com/{consenting}-token" in values
    assert not any(refusing in key for key in data)
    assert not any(refusing in value for value in values)

    # consent given later: the Secret is copied and the condition clears
    cluster.kubectl("label", "namespace", refusing, f"allow-stack.augur.dev/{namespace}=true")
    wait_for(
        "the Secret to be copied once the namespace consents",
        lambda: secrets_resolved(refusing, "refused", "True"),
        timeout=150,
    )

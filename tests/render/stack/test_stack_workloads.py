"""What every workload promises: security, whole-volume mounts, HA, storage, RBAC scope."""

from __future__ import annotations

from typing import Any

import pytest
from stackhelpers import CASES, named, objects, render_case, render_spec

from augur.render.component_output import ComponentOutput


def _pods(output: ComponentOutput) -> list[dict[str, Any]]:
    return [s["spec"]["template"]["spec"] for s in objects(output, "StatefulSet")]


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


@pytest.mark.parametrize("case", CASES)
def test_every_container_is_locked_down(case: str) -> None:
    for pod in _pods(render_case(case)):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in _containers(pod):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("case", CASES)
def test_configuration_is_mounted_as_whole_volumes(case: str) -> None:
    for pod in _pods(render_case(case)):
        for container in _containers(pod):
            assert all("subPath" not in m for m in container.get("volumeMounts", []))


@pytest.mark.parametrize("case", CASES)
def test_every_object_carries_the_standard_labels(case: str) -> None:
    for obj in render_case(case).manifests:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "augur"
        assert labels["app.kubernetes.io/instance"] == "platform"
        assert {"app.kubernetes.io/name", "app.kubernetes.io/component"} <= set(labels)


def test_token_only_where_the_program_calls_the_api_server() -> None:
    output = render_spec({})
    assert named(output, "StatefulSet", "platform-prometheus")["spec"]["template"]["spec"][
        "automountServiceAccountToken"
    ]
    alertmanager = named(output, "StatefulSet", "platform-alertmanager")
    assert alertmanager["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_probes_on_each_programs_health_endpoint() -> None:
    output = render_spec({})
    for pod in _pods(output):
        for container in pod["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] in ("/-/healthy", "/healthz")
            if "readinessProbe" in container:
                assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"


def test_ha_gets_disruption_budgets_and_spread() -> None:
    single = render_spec({})
    assert objects(single, "PodDisruptionBudget") == []
    assert all("affinity" not in pod for pod in _pods(single))
    ha = render_case("ha")
    assert len(objects(ha, "PodDisruptionBudget")) == 2
    assert all("podAntiAffinity" in pod["affinity"] for pod in _pods(ha))


def test_user_affinity_replaces_the_default_spread() -> None:
    output = render_spec(
        {"alertmanager": {"replicas": 2, "pod": {"affinity": {"nodeAffinity": {}}}}}
    )
    pod = named(output, "StatefulSet", "platform-alertmanager")["spec"]["template"]["spec"]
    assert pod["affinity"] == {"nodeAffinity": {}}


def test_alertmanager_peers_gossip_through_the_headless_service() -> None:
    args = named(render_case("ha"), "StatefulSet", "platform-alertmanager")["spec"]["template"][
        "spec"
    ]["containers"][0]["args"]
    peers = [a for a in args if a.startswith("--cluster.peer=")]
    assert peers == [
        f"--cluster.peer=platform-alertmanager-{i}.platform-alertmanager-headless"
        ".monitoring.svc:9094"
        for i in range(3)
    ]
    single = named(render_spec({}), "StatefulSet", "platform-alertmanager")
    assert (
        "--cluster.listen-address=" in single["spec"]["template"]["spec"]["containers"][0]["args"]
    )


@pytest.mark.parametrize(("retain", "policy"), [(True, "Retain"), (False, "Delete")])
def test_pvc_retention_follows_retain_on_delete(retain: bool, policy: str) -> None:
    output = render_spec({"prometheus": {"storage": {"size": "5Gi", "retainOnDelete": retain}}})
    spec = named(output, "StatefulSet", "platform-prometheus")["spec"]
    assert spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == policy
    assert spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_without_storage_data_is_an_empty_dir() -> None:
    spec = named(render_spec({}), "StatefulSet", "platform-prometheus")["spec"]
    assert "volumeClaimTemplates" not in spec
    assert {"name": "data", "emptyDir": {}} in spec["template"]["spec"]["volumes"]


def test_resources_default_only_what_the_user_left_unset() -> None:
    output = render_spec({"alertmanager": {"resources": {"limits": {"memory": "64Mi"}}}})
    container = named(output, "StatefulSet", "platform-alertmanager")["spec"]["template"]["spec"][
        "containers"
    ][0]
    # A default memory request (128Mi) would exceed the 64Mi limit: none is set.
    assert container["resources"] == {"requests": {"cpu": "50m"}, "limits": {"memory": "64Mi"}}


@pytest.mark.parametrize(
    ("spec", "roles", "cluster_roles"),
    [
        ({}, {"monitoring"}, 0),
        ({"namespaceSelector": {"matchNames": ["monitoring", "shop"]}}, {"monitoring", "shop"}, 0),
        ({"namespaceSelector": {"any": True}}, set(), 1),
        (
            {"prometheus": {"scrape": [{"name": "b", "namespaces": ["ml"]}]}},
            {"monitoring", "ml"},
            0,
        ),
    ],
)
def test_discovery_rbac_in_exactly_the_selected_namespaces(
    spec: dict[str, Any], roles: set[str], cluster_roles: int
) -> None:
    output = render_spec(spec)
    assert {r["metadata"]["namespace"] for r in objects(output, "Role")} == roles
    assert {r["metadata"]["namespace"] for r in objects(output, "RoleBinding")} == roles
    assert len(objects(output, "ClusterRole")) == cluster_roles
    assert len(objects(output, "ClusterRoleBinding")) == cluster_roles


def test_config_hash_is_on_the_statefulset_not_the_pod_template() -> None:
    output = render_spec({})
    for stateful_set in objects(output, "StatefulSet"):
        assert "augur.dev/config-hash" in stateful_set["metadata"]["annotations"]
        template = stateful_set["spec"]["template"]["metadata"]
        assert "augur.dev/config-hash" not in template.get("annotations", {})

"""Credentials copied key by key; missing ones named, never their values."""

from __future__ import annotations

from stackhelpers import render_case

import augur
from augur.render.alertmanager.credentials import gather_credentials
from augur.render.k8s.labels import VERSION_LABEL, StackRef
from augur.render.stack import desired_objects

STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "u")


def test_keys_are_copied_and_missing_ones_attributed_to_their_policy() -> None:
    creds = gather_credentials(
        {
            "shop_api_slack_slack_api_url": ("shop/slack", "url"),
            "shop_api_pager_pagerduty_routing_key": ("shop/pagerduty", "key"),
            "default-receiver_webhook_url": ("monitoring/hook", "url"),
        },
        {"shop/slack": {"url": "c2VjcmV0"}, "shop/pagerduty": {}, "monitoring/hook": None},
        "monitoring/platform",
        {
            "shop_api_slack_slack_api_url": "shop/api",
            "shop_api_pager_pagerduty_routing_key": "shop/api",
        },
    )
    assert creds.data == {"shop_api_slack_slack_api_url": "c2VjcmV0"}
    assert creds.missing == {
        "shop/api": ["key 'key' of Secret shop/pagerduty"],
        "monitoring/platform": ["Secret monitoring/hook not found"],
    }
    assert "c2VjcmV0" not in repr(creds.missing)


def test_the_credentials_secret_is_added_with_data_and_stamped() -> None:
    creds = gather_credentials(
        {"k": ("shop/s", "x")}, {"shop/s": {"x": "dg=="}}, "monitoring/platform", {}
    )
    objects = desired_objects(
        [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "platform-rules"}}],
        STACK,
        creds,
        needs_credentials=True,
        is_namespaced=lambda api_version, kind: True,
    )
    secret = objects[-1]
    assert secret["metadata"]["name"] == "platform-alertmanager-credentials"
    assert secret["data"] == {"k": "dg=="}
    assert "stringData" not in secret
    assert all(o["metadata"]["ownerReferences"][0]["uid"] == "u" for o in objects)


def _walk(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    """Every mapping inside `node`, with its path."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.items():
            found += _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{path}[{index}]")
    return found


def test_every_object_carries_augurs_version_but_no_selector_or_pod_template_does() -> None:
    output = render_case("ha")
    objects = desired_objects(
        output.manifests,
        STACK,
        gather_credentials({}, {}, "monitoring/platform", {}),
        needs_credentials=False,
        is_namespaced=lambda api_version, kind: kind not in ("ClusterRole", "ClusterRoleBinding"),
    )
    assert len(objects) > 10
    for obj in objects:
        assert obj["metadata"]["labels"][VERSION_LABEL] == augur.__version__, obj["kind"]
        for path, mapping in _walk(obj):
            if path in ("", ".metadata", ".metadata.labels"):
                continue
            # the object's own metadata is the only place for it: an upgrade of augur must not
            # change a pod template (rolling every Prometheus) nor an immutable selector
            assert VERSION_LABEL not in mapping, f"{obj['kind']} {path}"
    workloads = [o for o in objects if o["kind"] in ("StatefulSet", "Deployment")]
    assert workloads

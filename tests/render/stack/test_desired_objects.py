"""Credentials copied key by key; missing ones named, never their values."""

from __future__ import annotations

from augur.render.alertmanager.credentials import gather_credentials
from augur.render.k8s.labels import StackRef
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

"""Whose Secrets a stack may copy: its own namespace's, and those of namespaces that consent
with `allow-stack.augur.dev/<stack namespace>: "true"`; the others are never read, and the
policy's status says why."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.selection import secret_consent, secrets_consented
from augur.status.statuses import PolicyView, policy_status


def stack() -> MonitoringStack:
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": {"namespaceSelector": {"any": True}},
        }
    )


KEYS = {
    "default-receiver_slack_api_url": ("monitoring/oncall", "url"),
    "shop_api_slack_slack_api_url": ("shop/slack", "url"),
    "ml_train_pd_pagerduty_routing_key": ("ml/pagerduty", "key"),
    "ml_train_pd_pagerduty_other": ("ml/pagerduty", "other"),
}
USERS = {
    "shop_api_slack_slack_api_url": "shop/api",
    "ml_train_pd_pagerduty_routing_key": "ml/train",
    "ml_train_pd_pagerduty_other": "ml/train",
}
CONSENT = {"allow-stack.augur.dev/monitoring": "true"}


def test_a_consenting_namespace_and_the_stacks_own_are_read_the_others_not() -> None:
    labels = {"shop": CONSENT, "ml": {"allow-stack.augur.dev/elsewhere": "true"}}
    allowed, refused = secret_consent(stack(), KEYS, USERS, labels)
    assert allowed == {
        "default-receiver_slack_api_url": ("monitoring/oncall", "url"),
        "shop_api_slack_slack_api_url": ("shop/slack", "url"),
    }
    assert refused == {
        "ml/train": [
            "Secret ml/pagerduty not read: namespace ml does not allow the stacks of namespace "
            "monitoring to copy its Secrets (label it allow-stack.augur.dev/monitoring=true "
            "to allow)"
        ]
    }


def test_consent_is_the_label_set_to_true_for_the_stacks_namespace() -> None:
    platform = stack()
    assert secrets_consented(platform, "monitoring", {})
    assert secrets_consented(platform, "shop", CONSENT)
    assert not secrets_consented(platform, "shop", {})
    assert not secrets_consented(platform, "shop", {"allow-stack.augur.dev/monitoring": "false"})
    assert not secrets_consented(platform, "shop", {"allow-stack.augur.dev/shop": "true"})


def test_a_refused_secret_is_the_policys_condition() -> None:
    _, refused = secret_consent(stack(), KEYS, USERS, {})
    view = PolicyView(rules=1, missing_secrets=tuple(refused["ml/train"]))
    status = policy_status(1, (), {"monitoring/platform": view}, {}, "t")
    [cond] = [c for c in status["conditions"] if c["type"] == "SecretsResolved"]
    assert (cond["status"], cond["reason"]) == ("False", "SecretNotPermitted")
    assert "allow-stack.augur.dev/monitoring=true" in cond["message"]
    missing = PolicyView(rules=1, missing_secrets=("Secret shop/slack not found",))
    status = policy_status(1, (), {"monitoring/platform": missing}, {}, "t")
    [cond] = [c for c in status["conditions"] if c["type"] == "SecretsResolved"]
    assert cond["reason"] == "SecretMissing"

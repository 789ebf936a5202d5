"""Reading the Secrets a stack's credentials come from: a transient failure (5xx, timeout,
403) keeps the last good value, only a real 404 removes a key, and the status says which
Secret could not be read."""

from __future__ import annotations

from typing import Any, cast

from augur.controllers.gather import SourceSecrets
from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.kube.sync import StackObjects
from augur.render.k8s.labels import StackRef
from augur.render.stack import desired_objects
from augur.status.statuses import StackOutcome, stack_conditions

KEYS = {
    "shop_api_slack_slack_api-url": ("shop/slack", "url"),
    "default-receiver_webhook_url": ("monitoring/hook", "url"),
}
USERS = {"shop_api_slack_slack_api-url": "shop/api"}
STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")


class FlakyKube:
    """Secrets by namespace/name; `errors` makes reading a Secret fail with that error."""

    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, str]] = {
            "shop/slack": {"url": "c2xhY2s="},
            "monitoring/hook": {"url": "aG9vaw=="},
        }
        self.errors: dict[str, KubeError] = {}
        self.reads = 0

    def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        self.reads += 1
        source = f"{namespace}/{name}"
        if source in self.errors:
            raise self.errors[source]
        return self.secrets.get(source)


def reader(kube: FlakyKube) -> SourceSecrets:
    return SourceSecrets(cast(KubeClient, kube), refresh=60.0, stack_key="monitoring/platform")


async def test_transient_errors_keep_the_last_good_value() -> None:
    kube = FlakyKube()
    secrets = reader(kube)
    first = await secrets.credentials(KEYS, USERS, force=True)
    assert first.data == {
        "shop_api_slack_slack_api-url": "c2xhY2s=",
        "default-receiver_webhook_url": "aG9vaw==",
    }
    for error in (
        KubeError(503, "ServiceUnavailable", "etcd is down"),
        KubeError(0, "Unreachable", "GET /api/v1/...: read timed out"),
        KubeError(403, "Forbidden", "secrets is forbidden"),
        KubeError(500, "InternalError", "boom"),
    ):
        kube.errors["shop/slack"] = error
        again = await secrets.credentials(KEYS, USERS, force=True)
        assert again.data == first.data, f"{error} dropped a working credential"
        assert again.missing == {}
        assert again.held == set()
        assert again.unreadable == {
            "shop/api": [f"Secret shop/slack could not be read: {error.reason}"]
        }
        assert "c2xhY2s=" not in repr(again.unreadable)


async def test_only_a_real_404_removes_the_key() -> None:
    kube = FlakyKube()
    secrets = reader(kube)
    await secrets.credentials(KEYS, USERS, force=True)
    del kube.secrets["shop/slack"]
    gone = await secrets.credentials(KEYS, USERS, force=True)
    assert gone.data == {"default-receiver_webhook_url": "aG9vaw=="}
    assert gone.missing == {"shop/api": ["Secret shop/slack not found"]}
    assert gone.unreadable == {}


async def test_a_recovered_secret_is_read_again_and_the_note_goes() -> None:
    kube = FlakyKube()
    secrets = reader(kube)
    await secrets.credentials(KEYS, USERS, force=True)
    kube.errors["shop/slack"] = KubeError(503, "ServiceUnavailable", "down")
    await secrets.credentials(KEYS, USERS, force=True)
    kube.secrets["shop/slack"] = {"url": "bmV3"}
    del kube.errors["shop/slack"]
    back = await secrets.credentials(KEYS, USERS, force=True)
    assert back.data["shop_api_slack_slack_api-url"] == "bmV3"
    assert back.unreadable == {}


async def test_without_a_last_value_the_credentials_secret_is_held() -> None:
    """After a restart nothing is known yet: the key's value is unknown, so the credentials
    Secret must be left as it is rather than written without the key."""
    kube = FlakyKube()
    kube.errors["shop/slack"] = KubeError(503, "ServiceUnavailable", "down")
    secrets = reader(kube)
    creds = await secrets.credentials(KEYS, USERS, force=True)
    assert creds.held == {"shop_api_slack_slack_api-url"}
    assert "shop_api_slack_slack_api-url" not in creds.data
    assert creds.missing == {}
    assert creds.unreadable == {
        "shop/api": ["Secret shop/slack could not be read: ServiceUnavailable"]
    }


async def test_an_unreadable_secret_is_reread_on_the_next_pass() -> None:
    kube = FlakyKube()
    kube.errors["shop/slack"] = KubeError(503, "ServiceUnavailable", "down")
    secrets = reader(kube)
    await secrets.credentials(KEYS, USERS, force=False)
    reads = kube.reads
    await secrets.credentials(KEYS, USERS, force=False)
    assert kube.reads == reads + 2, "a Secret never read must not wait for the refresh"


def test_the_status_says_a_secret_could_not_be_read() -> None:
    outcome = StackOutcome(
        generation=1, unreadable_secrets=["Secret shop/slack could not be read: down"]
    )
    degraded = {c.type: c for c in stack_conditions(outcome)}["Degraded"]
    assert degraded.status == "True"
    assert degraded.reason == "SecretUnreadable"
    assert "Secret shop/slack could not be read: down" in degraded.message
    assert "last" in degraded.message


class RecordingKube:
    """Just enough of KubeClient for a sync: every apply and delete recorded."""

    def __init__(self, live: list[ObjectKey]) -> None:
        self.live = {key: "1" for key in live}
        self.applied: list[ObjectKey] = []
        self.deleted: list[ObjectKey] = []

    def apply(self, obj: dict[str, Any], *, force: bool = True) -> dict[str, Any]:
        from augur.kube.ownership import object_key

        self.applied.append(object_key(obj))
        return {**obj, "metadata": {**obj["metadata"], "resourceVersion": "2"}}

    def list_versions(self, api_version: str, kind: str, selector: str) -> list[Any]:
        return [(k, v) for k, v in self.live.items() if k.kind == kind]

    def delete(self, key: ObjectKey, propagation: str = "Background") -> bool:
        self.deleted.append(key)
        return True


async def test_a_held_credentials_secret_is_neither_written_nor_pruned() -> None:
    kube = FlakyKube()
    kube.errors["shop/slack"] = KubeError(503, "ServiceUnavailable", "down")
    creds = await reader(kube).credentials(KEYS, USERS, force=True)
    objects = desired_objects(
        [], STACK, creds, needs_credentials=True, is_namespaced=lambda api_version, kind: True
    )
    secret = ObjectKey("v1", "Secret", "monitoring", "platform-alertmanager-credentials")
    client = RecordingKube([secret])
    sync = StackObjects(cast(KubeClient, client), STACK)
    result = sync.sync(objects, check_live=True, held={secret})
    assert secret not in client.applied
    assert secret not in client.deleted
    assert result.failures == {}

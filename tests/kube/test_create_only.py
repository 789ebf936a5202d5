"""Create-only objects (generated passwords) and never-pruned claims, with a recording client."""

from __future__ import annotations

import base64
from typing import Any, cast

from augur.kube.client import KubeClient
from augur.kube.ownership import ObjectKey, object_key
from augur.kube.sync import StackObjects
from augur.render.k8s.labels import CREATE_ONLY_ANNOTATION, RANDOM_KEYS_ANNOTATION, StackRef

STACK = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "uid-1")


class RecordingClient:
    """Just enough of KubeClient: objects by key, every apply and delete recorded."""

    def __init__(self) -> None:
        self.objects: dict[ObjectKey, dict[str, Any]] = {}
        self.applies: list[ObjectKey] = []
        self.deletes: list[ObjectKey] = []

    def apply(self, obj: dict[str, Any], *, force: bool = True) -> dict[str, Any]:
        key = object_key(obj)
        self.applies.append(key)
        live = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(len(self.applies))}}
        self.objects[key] = live
        return live

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        return self.objects.get(key)

    def delete(self, key: ObjectKey, propagation: str = "Background") -> bool:
        self.deletes.append(key)
        return self.objects.pop(key, None) is not None


def admin_secret() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "grafana-admin",
            "namespace": "monitoring",
            "annotations": {
                CREATE_ONLY_ANNOTATION: "true",
                RANDOM_KEYS_ANNOTATION: "admin-password",
            },
        },
        "stringData": {"admin-user": "admin"},
    }


def test_create_only_secret_gets_a_random_password_once() -> None:
    client = RecordingClient()
    objects = StackObjects(cast(KubeClient, client), STACK)
    objects.sync([admin_secret()], check_live=False)
    key = object_key(admin_secret())
    first = client.objects[key]["data"]
    assert base64.b64decode(first["admin-user"]) == b"admin"
    password = base64.b64decode(first["admin-password"])
    assert len(password) >= 24
    objects.applied.clear()  # as after an operator restart
    objects.sync([admin_secret()], check_live=False)
    assert client.applies == [key], "an existing create-only object is never written again"
    assert client.objects[key]["data"]["admin-password"] == first["admin-password"]


def test_two_created_secrets_get_different_passwords() -> None:
    a, b = RecordingClient(), RecordingClient()
    StackObjects(cast(KubeClient, a), STACK).sync([admin_secret()], check_live=False)
    StackObjects(cast(KubeClient, b), STACK).sync([admin_secret()], check_live=False)
    key = object_key(admin_secret())
    assert a.objects[key]["data"]["admin-password"] != b.objects[key]["data"]["admin-password"]


def test_claims_are_never_pruned() -> None:
    client = RecordingClient()
    objects = StackObjects(cast(KubeClient, client), STACK)
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "platform-grafana-data", "namespace": "monitoring"},
        "spec": {"resources": {"requests": {"storage": "1Gi"}}},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "monitoring"},
    }
    objects.sync([claim, config], check_live=False)
    objects.sync([], check_live=False)
    assert client.deletes == [object_key(config)]

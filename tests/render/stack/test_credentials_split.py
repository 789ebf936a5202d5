"""Credentials reach the Secret of the program that mounts them, and only that one."""

from __future__ import annotations

import copy

from augur.render.alertmanager.credentials import Credentials
from augur.render.k8s.labels import RETAIN_ANNOTATION, StackRef
from augur.render.stack import desired_objects


def test_prometheus_and_alertmanager_credentials_go_to_their_own_secrets() -> None:
    stack = StackRef(
        api_version="augur.dev/v1alpha1",
        kind="MonitoringStack",
        namespace="monitoring",
        name="platform",
        uid="u-1",
    )
    credentials = Credentials(
        data={
            "prometheus.remote-write-0.password": "cHc=",
            "shop_api_pagerduty_pagerduty_routing-key": "a2V5",
        }
    )
    objects = desired_objects(
        [], stack, credentials, needs_credentials=True, is_namespaced=lambda *_: True
    )
    secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
    assert secrets["platform-prometheus-credentials"]["data"] == {
        "prometheus.remote-write-0.password": "cHc="
    }
    assert secrets["platform-alertmanager-credentials"]["data"] == {
        "shop_api_pagerduty_pagerduty_routing-key": "a2V5"
    }
    assert all("stringData" not in s for s in secrets.values())


def test_no_prometheus_secret_without_prometheus_credentials() -> None:
    stack = StackRef(
        api_version="augur.dev/v1alpha1",
        kind="MonitoringStack",
        namespace="monitoring",
        name="platform",
        uid="u-1",
    )
    objects = desired_objects(
        [], stack, Credentials(), needs_credentials=True, is_namespaced=lambda *_: True
    )
    names = [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"]
    assert names == ["platform-alertmanager-credentials"]


def test_retained_claims_have_no_owner_and_others_do() -> None:
    stack = StackRef(
        api_version="augur.dev/v1alpha1",
        kind="MonitoringStack",
        namespace="monitoring",
        name="platform",
        uid="u-1",
    )
    retained = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "annotations": {RETAIN_ANNOTATION: "true"}},
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    objects = desired_objects(
        [retained, config],
        stack,
        Credentials(),
        needs_credentials=False,
        is_namespaced=lambda *_: True,
    )
    by_name = {o["metadata"]["name"]: o["metadata"] for o in objects}
    assert "ownerReferences" not in by_name["data"]
    assert by_name["c"]["ownerReferences"][0]["uid"] == "u-1"


def test_the_rendered_manifests_are_left_as_they_are() -> None:
    stack = StackRef("augur.dev/v1alpha1", "MonitoringStack", "monitoring", "platform", "u-1")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "platform-alertmanager-credentials", "labels": {"a": "b"}},
        "stringData": {"old": "x"},
    }
    rules = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}
    manifests = [secret, rules]
    before = copy.deepcopy(manifests)
    objects = desired_objects(
        manifests,
        stack,
        Credentials(data={"key": "a2V5"}),
        needs_credentials=True,
        is_namespaced=lambda *_: True,
    )
    assert manifests == before  # nothing written into what the render keeps
    by_kind = {o["kind"]: o for o in objects}
    assert by_kind["Secret"]["data"] == {"key": "a2V5"} and "stringData" not in by_kind["Secret"]
    assert by_kind["Secret"]["metadata"]["labels"]["a"] == "b"
    assert by_kind["ConfigMap"]["metadata"]["namespace"] == "monitoring"
    by_kind["ConfigMap"]["data"]["k"] = "changed"
    by_kind["Secret"]["metadata"]["labels"]["a"] = "changed"
    assert manifests == before  # and nothing shared with what is applied

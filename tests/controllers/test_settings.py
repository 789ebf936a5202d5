"""kopf's settings as augur sets them: the diff base kopf keeps of stacks and ScalingPolicies."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import kopf
import pytest

from augur.controllers.settings import LeanDiffBaseStorage, configure

PREFIX = "augur.dev"


def _body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {
            "name": "platform",
            "namespace": "ops",
            "uid": "u1",
            "resourceVersion": "7",
            "generation": 3,
            "labels": {"team": "sre"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"spec": {}}',
                f"{PREFIX}/last-handled-configuration": '{"spec": {}}',
                f"{PREFIX}/kopf-progress": "{}",
                "owner": "platform-team",
            },
            "finalizers": [f"{PREFIX}/kopf-finalizer"],
            "managedFields": [{"manager": "augur", "fieldsV1": {"f:status": {"f:x": {}}}}],
        },
        "spec": {"prometheus": {"retention": "15d", "replicas": 2}, "grafana": {}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "selected": {"a": 1}},
    }
    body.update(extra)
    return body


BODIES = [
    _body(),
    _body(status={}),
    _body(spec={}),
    _body(metadata={"name": "bare", "namespace": "ops"}),
    _body(metadata={"name": "x", "namespace": "ops", "labels": {}, "annotations": {}}),
    {k: v for k, v in _body().items() if k != "status"},
    _body(data={"extra": ["top", "level"]}),
]


@pytest.mark.parametrize("body", BODIES)
def test_the_lean_diff_base_is_kopfs_own(body: dict[str, Any]) -> None:
    kopfs = kopf.AnnotationsDiffBaseStorage(prefix=PREFIX, key="last-handled-configuration")
    lean = LeanDiffBaseStorage(prefix=PREFIX, key="last-handled-configuration")
    before = copy.deepcopy(body)
    assert lean.build(body=kopf.Body(body)) == kopfs.build(body=kopf.Body(body))
    assert body == before  # the body is left as it was


def test_the_lean_diff_base_is_a_copy() -> None:
    body = _body()
    essence = LeanDiffBaseStorage(prefix=PREFIX).build(body=kopf.Body(body))
    body["spec"]["prometheus"]["retention"] = "30d"
    body["metadata"]["labels"]["team"] = "other"
    assert essence["spec"]["prometheus"]["retention"] == "15d"
    assert essence["metadata"]["labels"]["team"] == "sre"


def test_fields_a_handler_names_are_kept_as_kopf_keeps_them() -> None:
    kopfs = kopf.AnnotationsDiffBaseStorage(prefix=PREFIX)
    lean = LeanDiffBaseStorage(prefix=PREFIX)
    fields = ["status.selected"]
    body = kopf.Body(_body())
    assert lean.build(body=body, extra_fields=fields) == kopfs.build(body=body, extra_fields=fields)
    assert lean.build(body=body, extra_fields=fields)["status"] == {"selected": {"a": 1}}


def test_augur_settings_use_the_lean_diff_base() -> None:
    settings = kopf.OperatorSettings()
    configure(settings)
    assert isinstance(settings.persistence.diffbase_storage, LeanDiffBaseStorage)


def test_idle_workers_let_go_of_their_last_event_soon() -> None:
    """kopf's per-object worker holds the body it last handled until it exits: augur's
    exit soon after, through kopf's current settings (no deprecated name)."""
    settings = kopf.OperatorSettings()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        configure(settings)
    assert settings.queueing.idle_timeout <= 0.5 < kopf.OperatorSettings().queueing.idle_timeout
    assert settings.queueing.worker_limit is None

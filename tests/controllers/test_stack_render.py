"""The render step reads the rule shard count the live Prometheus pod mounts, once."""

from __future__ import annotations

from typing import Any

import yaml

from augur.api.resources import MonitoringStack, parse_resource
from augur.controllers.stack_render import StackRender
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey


class FakeKube:
    def __init__(self, live: dict[str, Any] | None, error: KubeError | None = None) -> None:
        self.live = live
        self.error = error
        self.read: list[ObjectKey] = []

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        self.read.append(key)
        if self.error is not None:
            raise self.error
        return self.live


def _stack(prometheus: bool = True) -> MonitoringStack:
    doc = yaml.safe_load(
        f"""
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: platform, namespace: monitoring}}
spec: {{prometheus: {{enabled: {str(prometheus).lower()}}}}}
"""
    )
    stack = parse_resource(doc)
    assert isinstance(stack, MonitoringStack)
    return stack


def _stateful_set(shards: int) -> dict[str, Any]:
    volumes = [{"name": "config"}, *({"name": f"rules-{i}"} for i in range(shards))]
    return {"spec": {"template": {"spec": {"volumes": [*volumes, {"name": "data"}]}}}}


async def test_the_count_is_read_from_the_live_stateful_set() -> None:
    kube = FakeKube(_stateful_set(32))
    render = StackRender("monitoring/platform", kube=kube)  # type: ignore[arg-type]
    assert await render._mounted_rule_shards(_stack()) == 32
    assert kube.read == [ObjectKey("apps/v1", "StatefulSet", "monitoring", "platform-prometheus")]


async def test_no_stateful_set_or_no_prometheus_or_an_error_is_a_new_stack() -> None:
    assert await StackRender("m/p", kube=FakeKube(None))._mounted_rule_shards(_stack()) is None  # type: ignore[arg-type]
    off = FakeKube(_stateful_set(16))
    assert await StackRender("m/p", kube=off)._mounted_rule_shards(_stack(False)) is None  # type: ignore[arg-type]
    assert off.read == []
    failing = FakeKube(None, KubeError(403, "Forbidden", "no"))
    assert await StackRender("m/p", kube=failing)._mounted_rule_shards(_stack()) is None  # type: ignore[arg-type]

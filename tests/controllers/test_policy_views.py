"""A stack's view of its AlertPolicies: a policy's status is built and written again only when
what it is made from changed (its entry or a stack's view of it)."""

from __future__ import annotations

from typing import Any

import pytest

from augur.controllers import policy_status
from augur.controllers.policy_status import StackPolicyViews
from augur.controllers.stack_render import Rendered
from augur.controllers.state import OperatorConfig, OperatorState
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics
from augur.render.alertmanager.credentials import Credentials
from augur.render.selection import inputs_for
from augur.render.stack import rerender_stack
from augur.status.catalog import Catalog, Entry


class FakeKube:
    def __init__(self) -> None:
        self.patched: list[ObjectKey] = []

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        self.patched.append(key)


def body(kind: str, name: str, spec: dict[str, Any], generation: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "ops", "uid": name, "generation": generation},
        "spec": spec,
    }


def alerts(expr: str) -> dict[str, Any]:
    return {"alerts": [{"name": "Down", "severity": "high", "expr": expr}]}


class Fixture:
    def __init__(self) -> None:
        self.kube = FakeKube()
        self.state = OperatorState(OperatorConfig(), self.kube, OperatorMetrics.create())  # type: ignore[arg-type]
        self.stack = self.state.index("MonitoringStack", body("MonitoringStack", "mon", {}))
        self.policies: dict[str, list[Entry]] = {}
        self.state.catalog = Catalog({"ops/mon": [self.stack]}, self.policies, {}, {"ops": [{}]})
        self.views = StackPolicyViews(self.state, "ops/mon")
        self.rendered: Rendered | None = None

    def policy(self, name: str, expr: str, generation: int = 1) -> None:
        entry = self.state.index("AlertPolicy", body("AlertPolicy", name, alerts(expr), generation))
        self.policies[f"ops/{name}"] = [entry]

    async def update(self) -> None:
        catalog = self.state.catalog
        assert catalog is not None and self.stack.resource is not None
        inputs = inputs_for(self.stack.resource, catalog.inventory())  # type: ignore[arg-type]
        memo = self.rendered.memo if self.rendered is not None else None
        output, memo = rerender_stack(inputs, memo, whole=catalog.policy_models())
        self.rendered = Rendered(inputs, output, memo)
        await self.views.update(self.rendered, Credentials())


async def test_a_status_is_written_again_only_for_what_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = policy_status.write_policy_status

    async def counting(state: OperatorState, entry: Entry) -> bool:
        built.append(entry.key)
        return await real(state, entry)

    monkeypatch.setattr(policy_status, "write_policy_status", counting)
    fixture = Fixture()
    fixture.policy("a", "up == 0")
    fixture.policy("b", "up == 0")
    await fixture.update()
    assert sorted(built) == ["ops/a", "ops/b"]
    assert sorted(k.name for k in fixture.kube.patched) == ["a", "b"]
    built.clear()
    await fixture.update()  # nothing changed: no status built, none written
    assert built == []
    fixture.policy("b", "up == 1", generation=2)  # an edit: only its status
    await fixture.update()
    assert built == ["ops/b"]
    assert [k.name for k in fixture.kube.patched] == ["a", "b", "b"]
    assert fixture.state.statuses.known("AlertPolicy", "ops/b")["observedGeneration"] == 2
    built.clear()
    # someone else's write left another generation in the status: written again
    fixture.state.statuses.seen("AlertPolicy", "ops/a", {"observedGeneration": 7})
    await fixture.update()
    assert built == ["ops/a"]


async def test_many_due_statuses_are_written_by_a_few_writers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a burst thousands of statuses are due: they are written `concurrency` at a time by
    as many tasks, not by a task each waiting its turn."""
    import asyncio

    fixture = Fixture()
    fixture.state.statuses.concurrency = 3
    for i in range(40):
        fixture.policy(f"p{i}", "up == 0")
    in_flight = 0
    most = 0
    most_tasks = 0
    written: list[str] = []

    async def slow(state: OperatorState, entry: Entry) -> bool:
        nonlocal in_flight, most, most_tasks
        in_flight += 1
        most = max(most, in_flight)
        most_tasks = max(most_tasks, len(asyncio.all_tasks()))
        await asyncio.sleep(0.001)
        in_flight -= 1
        written.append(entry.key)
        return True

    monkeypatch.setattr(policy_status, "write_policy_status", slow)
    await fixture.update()
    assert sorted(written) == sorted(f"ops/p{i}" for i in range(40))
    assert most == 3
    assert most_tasks <= 3 + 1  # the writers and the test's own task

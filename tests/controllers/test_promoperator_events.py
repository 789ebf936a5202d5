"""A PrometheusRule's changes reach the stacks that select it, now or before."""

from __future__ import annotations

import logging
from typing import Any

from augur.controllers.promoperator import promoperator_event
from augur.controllers.state import OperatorConfig, OperatorState
from augur.metrics import OperatorMetrics
from augur.status.catalog import Catalog, Entry


class Worker:
    def __init__(self) -> None:
        self.pokes = 0

    def poke(self) -> None:
        self.pokes += 1


def stack_body(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": name, "namespace": "mon", "uid": name, "generation": 1},
        "spec": spec,
    }


def rule_body(generation: int, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "redis",
            "namespace": "cache",
            "uid": "r1",
            "generation": generation,
            "labels": labels,
        },
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0"}]}]},
    }


class Setup:
    def __init__(self) -> None:
        self.state = OperatorState(OperatorConfig(), object(), OperatorMetrics.create())  # type: ignore[arg-type]
        self.stacks: dict[str, list[Entry]] = {}
        self.rules: dict[str, list[Entry]] = {}
        self.state.catalog = Catalog(
            self.stacks, {}, {}, {}, promoperator={"PrometheusRule": self.rules}
        )
        self.workers = {"mon/a": Worker(), "mon/b": Worker()}
        for key, worker in self.workers.items():
            self.state.workers.started(key, worker)

    def add_stack(self, name: str, release: str) -> None:
        selector = {"matchLabels": {"release": release}}
        spec = {
            "namespaceSelector": {"any": True},
            "prometheusOperatorObjects": {"enabled": True, "selector": selector},
        }
        entry = self.state.parsed.entry(stack_body(name, spec))
        self.stacks[entry.key] = [entry]

    def rule(self, body: dict[str, Any]) -> None:
        entry = self.state.parsed.entry(body)
        self.rules[entry.key] = [entry]

    def pokes(self) -> dict[str, int]:
        return {key: worker.pokes for key, worker in self.workers.items()}


async def test_a_change_pokes_the_stacks_that_select_it_now_and_before() -> None:
    setup = Setup()
    setup.add_stack("a", "one")
    setup.add_stack("b", "two")
    first = rule_body(1, release="one")
    setup.rule(first)
    await promoperator_event("PrometheusRule", "ADDED", first, setup.state)
    assert setup.pokes() == {"mon/a": 1, "mon/b": 0}
    await promoperator_event("PrometheusRule", "MODIFIED", first, setup.state)
    assert setup.pokes() == {"mon/a": 1, "mon/b": 0}  # nothing changed: nobody renders
    moved = rule_body(1, release="two")  # its labels move it from stack a to stack b
    setup.rule(moved)
    await promoperator_event("PrometheusRule", "MODIFIED", moved, setup.state)
    assert setup.pokes() == {"mon/a": 2, "mon/b": 1}


async def test_deleting_it_pokes_a_stack_created_after_its_last_change() -> None:
    """Regression: a PrometheusRule applied together with its stack was first seen before the
    stack was indexed; its deletion poked nobody and the stack kept its rule file."""
    setup = Setup()
    body = rule_body(1, release="one")
    setup.rule(body)
    await promoperator_event("PrometheusRule", "ADDED", body, setup.state)
    assert setup.pokes() == {"mon/a": 0, "mon/b": 0}  # no stack yet
    setup.add_stack("a", "one")
    del setup.rules["cache/redis"]
    await promoperator_event("PrometheusRule", "DELETED", body, setup.state)
    assert setup.pokes() == {"mon/a": 1, "mon/b": 0}
    assert setup.state.promoperator_stacks == {}


def test_kopfs_warning_of_absent_crds_is_dropped_only_for_prometheus_operator_kinds() -> None:
    from augur.controllers.promoperator import UNRESOLVED, only_absent_promoperator_kinds

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("kopf", logging.WARNING, "", 0, message, None, None)

    # as kopf 1.45 writes it
    po = "Selector(group='monitoring.coreos.com', version='v1', any_name='prometheusrules')"
    augur = "Selector(group='augur.dev', version='v1alpha1', any_name='alertpolicies')"
    ours = f"{UNRESOLVED} {po}"
    mixed = f"{UNRESOLVED} {augur}, {po}"
    assert not only_absent_promoperator_kinds(record(ours))
    assert only_absent_promoperator_kinds(record(mixed))  # augur's own CRD missing: said
    assert only_absent_promoperator_kinds(record("Something else entirely"))


def test_every_watched_kind_has_a_model() -> None:
    from augur.api.promoperator import PARSERS
    from augur.controllers.promoperator import WATCHED

    assert {row.kind for row in WATCHED} == set(PARSERS)

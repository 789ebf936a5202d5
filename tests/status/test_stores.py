"""The operator's stores: what it remembers between events, tested as plain objects."""

from __future__ import annotations

import tracemalloc
from typing import Any

from augur.api.resources import Problem
from augur.status.conditions import Cond
from augur.status.statuses import PolicyView
from augur.status.stores import KPIReadings, PolicyViews, SeenStore, StatusStore

READY = {"type": "Ready", "status": "True", "reason": "Loaded", "message": "m"}


def test_status_store_knows_the_last_status_and_forgets_it() -> None:
    store = StatusStore()
    assert store.known("AlertPolicy", "ops/a") == {}
    store.remember("AlertPolicy", "ops/a", {"rules": 3})
    assert store.known("AlertPolicy", "ops/a") == {"rules": 3}
    assert store.known("BusinessKPI", "ops/a") == {}  # kinds do not share slots
    store.forget("AlertPolicy", "ops/a")
    assert store.known("AlertPolicy", "ops/a") == {}


def test_a_status_differing_only_in_transition_times_would_not_change() -> None:
    store = StatusStore()
    assert store.would_change("AlertPolicy", "ops/a", {"rules": 1})  # nothing known yet
    store.remember(
        "AlertPolicy", "ops/a", {"rules": 1, "conditions": [{**READY, "lastTransitionTime": "t1"}]}
    )
    later = {"rules": 1, "conditions": [{**READY, "lastTransitionTime": "t2"}]}
    assert not store.would_change("AlertPolicy", "ops/a", later)
    assert not store.would_change("AlertPolicy", "ops/a", {**later, "invalid": None})
    assert store.would_change("AlertPolicy", "ops/a", {**later, "rules": 2})
    moved = {"rules": 1, "conditions": [{**READY, "status": "False"}]}
    assert store.would_change("AlertPolicy", "ops/a", moved)


def test_seen_store_reports_a_change_once() -> None:
    seen = SeenStore()
    assert not seen.knows("AlertPolicy", "ops/a")
    assert seen.changed("AlertPolicy", "ops/a", ("uid", 1))
    assert seen.knows("AlertPolicy", "ops/a")
    assert not seen.changed("AlertPolicy", "ops/a", ("uid", 1))
    assert seen.changed("AlertPolicy", "ops/a", ("uid", 2))
    seen.forget("AlertPolicy", "ops/a")
    assert not seen.knows("AlertPolicy", "ops/a")
    assert seen.changed("AlertPolicy", "ops/a", ("uid", 2))


def test_policy_views_replace_what_a_stack_sees() -> None:
    views = PolicyViews()
    loaded = PolicyView(rules=2)
    rejected = PolicyView(problems=(Problem("spec", "bad"),))
    touched = views.replace_stack_views("mon/a", {"ops/p": loaded, "ops/q": loaded})
    assert touched == {"ops/p", "ops/q"}
    views.replace_stack_views("mon/b", {"ops/p": rejected})
    assert views.of_policy("ops/p") == {"mon/a": loaded, "mon/b": rejected}
    assert views.stacks_viewing("ops/p") == ["mon/a", "mon/b"]

    # stack a no longer selects q: q is touched (its status must say so) and a drops from it
    touched = views.replace_stack_views("mon/a", {"ops/p": loaded})
    assert touched == {"ops/p", "ops/q"}
    assert views.of_policy("ops/q") == {}
    assert views.stacks_viewing("ops/q") == []


def test_policy_views_forget_a_stack_or_a_policy() -> None:
    views = PolicyViews()
    views.replace_stack_views("mon/a", {"ops/p": PolicyView(), "ops/q": PolicyView()})
    views.replace_stack_views("mon/b", {"ops/p": PolicyView()})
    assert views.forget_policy("ops/p") == ["mon/a", "mon/b"]
    assert views.of_policy("ops/p") == {}
    # a's views no longer include p: replacing them touches only q and what is new
    assert views.replace_stack_views("mon/a", {"ops/q": PolicyView()}) == {"ops/q"}
    assert views.forget_stack("mon/a") == ["ops/q"]
    assert views.stacks_viewing("ops/q") == []
    assert views.forget_stack("mon/a") == []


def test_views_handed_out_never_change_and_are_not_copied() -> None:
    """A policy's views are kept with its status (to compare with later): a later change
    replaces them rather than changing what was handed out, and an unchanged view is the
    very same mapping (no copy per policy and pass)."""
    views = PolicyViews()
    views.replace_stack_views("mon/a", {"ops/p": PolicyView()})
    first = views.of_policy("ops/p")
    views.replace_stack_views("mon/a", {"ops/p": PolicyView()})  # equal: nothing changes
    assert views.of_policy("ops/p") is first
    views.replace_stack_views("mon/b", {"ops/p": PolicyView(rules=3)})
    views.replace_stack_views("mon/a", {})
    assert dict(first) == {"mon/a": PolicyView()}
    assert dict(views.of_policy("ops/p")) == {"mon/b": PolicyView(rules=3)}


def test_kpi_readings_keep_only_stacks_that_still_select() -> None:
    readings = KPIReadings()
    ready = ([Cond("Ready", "True", "Evaluated")], {"current": 1.0})
    other = ([Cond("Ready", "True", "Evaluated")], {"current": 2.0})
    assert readings.record("ops/k", "mon/a", ready, ["mon/a", "mon/b"]) == {"mon/a": ready}
    kept = readings.record("ops/k", "mon/b", other, ["mon/a", "mon/b"])
    assert kept == {"mon/a": ready, "mon/b": other}
    # stack a stopped selecting the KPI
    assert readings.record("ops/k", "mon/b", other, ["mon/b"]) == {"mon/b": other}
    readings.record("ops/k", "mon/a", ready, ["mon/a", "mon/b"])
    readings.forget("ops/k")
    assert readings.record("ops/k", "mon/b", other, ["mon/a", "mon/b"]) == {"mon/b": other}


def _policy_status(index: int) -> dict[str, Any]:
    """A status as augur writes an AlertPolicy's: one stack loads it."""
    return {
        "observedGeneration": 1,
        "stacks": [{"name": "ops/main", "loaded": True, "rules": 10, "shard": index % 32}],
        "rules": 10,
        "alerts": [f"Alert{a}" for a in range(10)],
        "conditions": [
            {
                "type": kind,
                "status": "True",
                "reason": "Loaded",
                "message": f"policy ops/p{index:05d}: 10 rules loaded by stack ops/main",
                "lastTransitionTime": "2026-12-03T17:00:00Z",
                "observedGeneration": 1,
            }
            for kind in ("Accepted", "Ready", "Routed")
        ],
    }


def test_a_remembered_status_reads_back_as_json_would_and_as_a_copy() -> None:
    store = StatusStore()
    status = {**_policy_status(1), "pair": ("a", 1)}
    store.remember("AlertPolicy", "ops/a", status)
    known = store.known("AlertPolicy", "ops/a")
    assert known == {**_policy_status(1), "pair": ["a", 1]}
    known["conditions"].clear()  # a reader's copy: the store is untouched
    assert len(store.known("AlertPolicy", "ops/a")["conditions"]) == 3
    # a status built with tuples is the one remembered with lists: nothing to write
    assert not store.would_change("AlertPolicy", "ops/a", {**_policy_status(1), "pair": ("a", 1)})


def test_thousands_of_statuses_are_held_compactly() -> None:
    # held as dicts, such statuses took about 5 KiB and 60 objects each
    store = StatusStore()
    statuses = [_policy_status(i) for i in range(2000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, status in enumerate(statuses):
            store.remember("AlertPolicy", f"ops/p{i:05d}", status)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / len(statuses) < 600
    assert store.known("AlertPolicy", "ops/p01999") == statuses[-1]


def test_a_status_nested_deeper_than_the_recursion_limit_is_remembered() -> None:
    deep: dict[str, object] = {}
    for _ in range(5000):
        deep = {"d": deep}
    store = StatusStore()
    store.remember("AlertPolicy", "ops/a", {"x": deep})
    assert store.known("AlertPolicy", "ops/a")["x"] is not deep  # the top is a copy

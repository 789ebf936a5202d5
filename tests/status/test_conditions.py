"""Conditions keep their transition time while their status holds."""

from __future__ import annotations

from augur.status.conditions import Cond, merge_conditions, same_conditions


def test_transition_time_moves_only_when_the_status_changes() -> None:
    first = merge_conditions([], [Cond("Ready", "True", "Ok")], generation=1, now="t1")
    same = merge_conditions(first, [Cond("Ready", "True", "Ok", "again")], generation=2, now="t2")
    flipped = merge_conditions(same, [Cond("Ready", "False", "Bad")], generation=2, now="t3")
    assert same[0]["lastTransitionTime"] == "t1"
    assert same[0]["observedGeneration"] == 2
    assert flipped[0]["lastTransitionTime"] == "t3"


def test_conditions_decided_elsewhere_are_kept() -> None:
    merged = merge_conditions(
        [{"type": "Other", "status": "True"}],
        [Cond("Ready", "True", "Ok")],
        generation=None,
        now="t",
    )
    assert [c["type"] for c in merged] == ["Ready", "Other"]


def test_same_conditions_ignores_timestamps() -> None:
    a = merge_conditions([], [Cond("Ready", "True", "Ok")], generation=1, now="t1")
    b = merge_conditions([], [Cond("Ready", "True", "Ok")], generation=1, now="t2")
    assert same_conditions(a, b)

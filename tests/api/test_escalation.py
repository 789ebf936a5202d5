"""Escalation chains: which severities an alert climbs to and when; cycles refused by name."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from augur.api.alertpolicy import Routing
from augur.api.escalation import escalations
from augur.api.resources import InvalidObject, parse_resource


def step(severities: list[str], after: str, to: str, **extra: Any) -> dict[str, Any]:
    return {"severities": severities, "after": after, "to": to, **extra}


def routing(*steps: dict[str, Any], **fields: Any) -> Routing:
    return Routing.model_validate({"escalation": list(steps), **fields})


def climb(r: Routing, origin: str) -> list[tuple[str, str, list[int]]]:
    """(severity, delay since the source fired, step indexes) of every level reached."""
    return [
        (e.severity, e.after, [i for i, _ in e.steps]) for e in escalations(r.escalation, origin)
    ]


def test_steps_chain_with_delays_adding_up() -> None:
    r = routing(step(["medium", "warning"], "4h", "high"), step(["high"], "1h", "critical"))
    assert climb(r, "medium") == [("high", "4h", [0]), ("critical", "5h", [0, 1])]
    assert climb(r, "warning") == [("high", "4h", [0]), ("critical", "5h", [0, 1])]
    # an alert that starts at high takes only the step from high
    assert climb(r, "high") == [("critical", "1h", [1])]
    assert climb(r, "critical") == []
    assert climb(r, "low") == []


def test_chains_follow_the_steps_not_their_order() -> None:
    r = routing(step(["high"], "30m", "critical"), step(["low"], "1d", "medium"))
    assert climb(r, "low") == [("medium", "1d", [1])]  # medium has no step: the chain ends
    r = routing(
        step(["high"], "30m", "critical"),
        step(["medium"], "2h", "high"),
        step(["low"], "1d", "medium"),
    )
    assert climb(r, "low") == [
        ("medium", "1d", [2]),
        ("high", "1d2h", [2, 1]),
        ("critical", "1d2h30m", [2, 1, 0]),
    ]


def test_the_quicker_of_two_chains_to_one_severity_counts() -> None:
    direct = step(["medium"], "6h", "critical")
    r = routing(direct, step(["medium"], "4h", "high"), step(["high"], "1h", "critical"))
    assert climb(r, "medium") == [("high", "4h", [1]), ("critical", "5h", [1, 2])]
    r = routing(
        step(["medium"], "2h", "critical"),
        step(["medium"], "4h", "high"),
        step(["high"], "1h", "critical"),
    )
    assert climb(r, "medium") == [("critical", "2h", [0]), ("high", "4h", [1])]


def test_equal_chains_keep_the_earlier_step() -> None:
    r = routing(step(["medium"], "1h", "high"), step(["medium"], "60m", "high"))
    assert climb(r, "medium") == [("high", "1h", [0])]


def test_the_escalation_says_where_it_came_from() -> None:
    r = routing(step(["medium"], "4h", "high"), step(["high"], "1h30m", "critical"))
    high, critical = escalations(r.escalation, "medium")
    assert high.describe() == "escalated from medium after 4h"
    assert critical.describe() == (
        "escalated from medium after 5h30m (to high after 4h, then to critical after 1h30m)"
    )
    assert (critical.previous, critical.origin) == ("high", "medium")
    assert high.previous == "medium"


def problems(*steps: dict[str, Any], **fields: Any) -> list[str]:
    doc = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": "team"},
        "spec": {"routing": {"escalation": list(steps), **fields}},
    }
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    return [str(p) for p in caught.value.problems]


def test_a_cycle_is_refused_naming_its_steps() -> None:
    found = problems(
        step(["low"], "1d", "medium"),
        step(["medium"], "4h", "high"),
        step(["high"], "1h", "medium"),
    )
    assert found == [
        "spec.routing.escalation: steps escalation[1] (medium -> high after 4h) and "
        "escalation[2] (high -> medium after 1h) form a cycle medium -> high -> medium: "
        "every step must raise severity"
    ]


def test_a_cycle_through_three_steps_and_equal_ranks() -> None:
    found = problems(
        step(["warning"], "1h", "high"),
        step(["high"], "1h", "critical"),
        step(["critical"], "1h", "warning"),
    )
    assert found == [
        "spec.routing.escalation: steps escalation[0] (warning -> high after 1h), "
        "escalation[1] (high -> critical after 1h) and escalation[2] (critical -> warning after "
        "1h) form a cycle warning -> high -> critical -> warning: every step must raise severity"
    ]
    # medium and warning rank alike: raising one to the other goes nowhere
    found = problems(step(["medium"], "1h", "warning"), step(["warning"], "1h", "medium"))
    assert "form a cycle medium -> warning -> medium" in found[0]


def test_a_step_to_its_own_severity_is_a_cycle_of_one() -> None:
    found = problems(step(["medium", "high"], "1h", "high"))
    assert found == [
        "spec.routing.escalation: step escalation[0] (medium|high -> high after 1h) forms a "
        "cycle high -> high: every step must raise severity"
    ]


def test_a_step_down_that_closes_no_cycle_is_refused_as_a_step() -> None:
    found = problems(step(["medium"], "1h", "high"), step(["critical"], "1h", "high"))
    assert found == ["spec.routing.escalation[1]: escalation must raise severity: critical -> high"]


def test_silencing_the_source_needs_grouping_labels() -> None:
    found = problems(step(["medium"], "1h", "high", silenceSource=True), groupBy=["..."])
    assert found == [
        "spec.routing: escalation[0].silenceSource needs groupBy to name the labels that tell "
        "alerts apart, not `...`"
    ]
    assert (
        routing(step(["medium"], "1h", "high"), groupBy=["..."]).escalation[0].silence_source
        is False
    )


def test_steps_are_bounded() -> None:
    with pytest.raises(ValidationError):
        routing(*[step(["low"], f"{n}m", "medium") for n in range(1, 18)])


def test_malformed_steps_are_problems_not_a_crash() -> None:
    # Found by fuzzing: a list where a severity stands was looked up as a dictionary key.
    from augur.api.resources import InvalidObject, parse_resource

    doc = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "routing": {
                "escalation": [
                    {"severities": [["medium"], {}], "after": "4h", "to": "high"},
                    {"severities": ["high"], "after": "1h", "to": ["critical"]},
                ]
            }
        },
    }
    try:
        parse_resource(doc)
    except InvalidObject as error:
        paths = {p.path.split(".")[2] for p in error.problems}
        assert paths == {"escalation[0]", "escalation[1]"}, error.problems
    else:
        raise AssertionError("malformed escalation steps were accepted")

"""Rule-test results in an AlertPolicy's status: entries, the failure count, TestsPassed."""

from __future__ import annotations

from augur.status.rule_tests import (
    MESSAGE_LIMIT,
    RuleTestEntry,
    RuleTestRun,
    bounded,
    failed_run,
    rule_tests_status,
)
from augur.status.statuses import policy_status

PASSED = RuleTestEntry("fires", True)
FAILED = RuleTestEntry("quiet", False, "at 5m: expected no Down firing, but it was")


def reason(declared: tuple[str, ...], run: RuleTestRun | None, loaded: bool = True) -> tuple:  # type: ignore[type-arg]
    cond = rule_tests_status(declared, run, loaded=loaded).condition
    return cond.status, cond.reason


def test_each_test_is_an_entry_and_failures_are_counted_and_named() -> None:
    status = rule_tests_status(("fires", "quiet"), RuleTestRun((PASSED, FAILED)), loaded=True)
    assert status.fields == {
        "tests": [
            {"name": "fires", "passed": True},
            {"name": "quiet", "passed": False, "message": FAILED.message},
        ],
        "testsFailed": 1,
    }
    assert status.condition.status == "False"
    assert status.condition.reason == "TestsFailed"
    assert status.condition.message == "1 of 2 test(s) failed: quiet"


def test_condition_reasons() -> None:
    assert reason(("a",), RuleTestRun((PASSED,))) == ("True", "AllPassed")
    assert reason((), None) == ("True", "NoTests")
    assert reason(("a",), None) == ("Unknown", "Pending")
    assert reason(("a",), RuleTestRun((PASSED,)), loaded=False) == ("Unknown", "NotLoaded")
    for problem in ("PromtoolUnavailable", "TimedOut", "PromtoolFailed"):
        assert reason(("a",), failed_run(problem, "why")) == ("Unknown", problem)  # type: ignore[arg-type]


def test_without_results_the_count_is_removed() -> None:
    # a merge patch removes a field written as null: no stale count in the printer column
    assert rule_tests_status(("a",), None, loaded=True).fields == {"tests": [], "testsFailed": None}
    assert rule_tests_status((), None, loaded=True).fields == {"tests": [], "testsFailed": 0}


def test_messages_are_bounded() -> None:
    text = bounded("x" * 5000)
    assert len(text) == MESSAGE_LIMIT
    assert text.endswith("(cut)")
    assert bounded("short") == "short"
    assert len(failed_run("PromtoolFailed", "y" * 5000).detail) == MESSAGE_LIMIT


def test_policy_status_carries_the_tests() -> None:
    status = policy_status(
        1, (), {}, {}, "t", tests=rule_tests_status(("quiet",), RuleTestRun((FAILED,)), loaded=True)
    )
    assert status["testsFailed"] == 1
    assert status["tests"][0]["name"] == "quiet"
    conds = {c["type"]: c["reason"] for c in status["conditions"]}
    assert conds["TestsPassed"] == "TestsFailed"
    assert "tests" not in policy_status(1, (), {}, {}, "t")

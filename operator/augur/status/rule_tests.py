"""An AlertPolicy's rule tests in its status: one entry per test, the failures counted, and
the TestsPassed condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from augur.render.rules.ruletests import Verdict
from augur.status.conditions import Cond

MESSAGE_LIMIT = 1024
"""Longest message of one test in status (promtool's differences can be long)."""

RunProblem = Literal["PromtoolUnavailable", "TimedOut", "PromtoolFailed"]


@dataclass(frozen=True)
class RuleTestEntry:
    """One test as status shows it."""

    name: str
    passed: bool
    message: str = ""

    def entry(self) -> dict[str, Any]:
        """The `status.tests` item."""
        item: dict[str, Any] = {"name": self.name, "passed": self.passed}
        if self.message:
            item["message"] = self.message
        return item


@dataclass(frozen=True)
class RuleTestRun:
    """What one run of a policy's tests gave: a result per test, or why there are none."""

    results: tuple[RuleTestEntry, ...] = ()
    problem: RunProblem | None = None
    detail: str = ""
    """What went wrong, when `problem` is set."""

    @property
    def failed(self) -> int:
        """Tests that failed."""
        return sum(1 for r in self.results if not r.passed)


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` cut to `limit` characters, saying so when cut."""
    if len(text) <= limit:
        return text
    marker = " … (cut)"
    return text[: limit - len(marker)] + marker


def run_of(verdicts: list[Verdict]) -> RuleTestRun:
    """The results of one policy's tests from their verdicts, named as the spec names them."""
    return RuleTestRun(
        tuple(
            RuleTestEntry(v.test.test.name, v.passed, bounded("\n".join(v.lines))) for v in verdicts
        )
    )


def failed_run(problem: RunProblem, detail: str) -> RuleTestRun:
    """A run that gave no results."""
    return RuleTestRun(problem=problem, detail=bounded(detail))


@dataclass(frozen=True)
class RuleTestsStatus:
    """The status fields and the condition of a policy's tests."""

    fields: dict[str, Any]
    """`tests` and `testsFailed` (None when there are no results: a merge patch removes it)."""
    condition: Cond


def rule_tests_status(
    declared: tuple[str, ...], run: RuleTestRun | None, *, loaded: bool
) -> RuleTestsStatus:
    """`tests`, `testsFailed` and TestsPassed of a policy declaring the tests `declared`, from
    its last run (None: none yet). The tests run against the rules a stack renders, so a
    policy no stack loads has no results (`loaded` False)."""
    if not declared:
        return RuleTestsStatus(
            {"tests": [], "testsFailed": 0},
            Cond("TestsPassed", "True", "NoTests", "the policy declares no rule tests"),
        )
    if not loaded:
        return RuleTestsStatus(
            {"tests": [], "testsFailed": None},
            Cond(
                "TestsPassed",
                "Unknown",
                "NotLoaded",
                "not run: the tests run against the rules of a MonitoringStack that loads "
                "the policy, and none does",
            ),
        )
    if run is None:
        return RuleTestsStatus(
            {"tests": [], "testsFailed": None},
            Cond("TestsPassed", "Unknown", "Pending", f"{len(declared)} test(s) waiting to run"),
        )
    if run.problem is not None:
        return RuleTestsStatus(
            {"tests": [], "testsFailed": None},
            Cond("TestsPassed", "Unknown", run.problem, run.detail),
        )
    fields = {"tests": [r.entry() for r in run.results], "testsFailed": run.failed}
    failed = [r.name for r in run.results if not r.passed]
    if failed:
        message = f"{len(failed)} of {len(run.results)} test(s) failed: " + ", ".join(failed)
        return RuleTestsStatus(fields, Cond("TestsPassed", "False", "TestsFailed", message))
    message = f"all {len(run.results)} test(s) passed"
    return RuleTestsStatus(fields, Cond("TestsPassed", "True", "AllPassed", message))

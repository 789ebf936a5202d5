"""Conditions keep their transition time while their status holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import augur
from augur.api.common import CONDITION_REASON_PATTERN, Condition
from augur.status.conditions import Cond, merge_conditions, same_conditions
from augur.status.rule_tests import RunProblem


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


# -- every reason the operator writes fits metav1.Condition ---------------------------------

OPERATOR = Path(augur.__file__).resolve().parent

REASON_ARGUMENT = {"Cond": 2, "QueryProblem": 0, "_unhealthy": 0, "failed_run": 0}
"""Constructors of conditions, or of what becomes one, and where their reason goes."""


def _strings(node: ast.AST | None) -> list[str]:
    """String constants `node` may evaluate to (both arms of a conditional expression)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def reasons_in(tree: ast.AST) -> list[str]:
    """The condition reasons a module spells out: arguments of condition constructors,
    `reason=` keywords, values assigned to a `reason`, values of a `*REASONS` mapping."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            position = REASON_ARGUMENT.get(_callee(node))
            if position is not None and len(node.args) > position:
                found += _strings(node.args[position])
            for keyword in node.keywords:
                if keyword.arg == "reason":
                    found += _strings(keyword.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in targets]
            if "reason" in names:
                found += _strings(node.value)
            if any("REASONS" in name for name in names) and isinstance(node.value, ast.Dict):
                found += [s for value in node.value.values for s in _strings(value)]
    return found


CONDITION_SOURCES = ("status", "scaling", "controllers", "prom", "forecast/engine.py")
"""Where conditions and their reasons are decided: statuses, ScalingPolicy evaluation, the
controllers, Prometheus errors and forecast results (`reason` elsewhere means something else,
such as a PromQL parse error or why a replica bound applied)."""


def operator_reasons() -> dict[str, set[str]]:
    """Every condition reason in the operator's code, by module."""
    by_module: dict[str, set[str]] = {}
    paths = [p for source in CONDITION_SOURCES for p in sorted((OPERATOR / source).rglob("*.py"))]
    paths += [OPERATOR / source for source in CONDITION_SOURCES if source.endswith(".py")]
    for path in paths:
        reasons = set(reasons_in(ast.parse(path.read_text())))
        if reasons:
            by_module[str(path.relative_to(OPERATOR))] = reasons
    by_module["status/rule_tests.py"] |= set(get_args(RunProblem))
    return by_module


def test_every_reason_the_operator_writes_fits_metav1_condition() -> None:
    by_module = operator_reasons()
    every = set().union(*by_module.values())
    # the collection sees the status builders of all four kinds, and the scaling reasons
    assert {"AllComponentsReady", "SecretMissing", "TestsFailed", "NoData"} <= every
    assert {"NotEnoughHistory", "HPANotFound", "PrometheusUnreachable", "TimedOut"} <= every
    bad = {
        module: sorted(r for r in reasons if not re.fullmatch(CONDITION_REASON_PATTERN, r))
        for module, reasons in by_module.items()
    }
    assert {module: r for module, r in bad.items() if r} == {}


def test_the_reason_check_refuses_what_the_api_server_refuses() -> None:
    tree = ast.parse('Cond("Ready", "False", "not-ready")\nreason = "Ok."')
    assert sorted(reasons_in(tree)) == ["Ok.", "not-ready"]
    assert not any(re.fullmatch(CONDITION_REASON_PATTERN, r) for r in reasons_in(tree))


def test_merged_conditions_have_every_required_field() -> None:
    merged = merge_conditions([], [Cond("Ready", "True", "Ok")], generation=3, now="t")
    condition = Condition.model_validate(
        {**merged[0], "lastTransitionTime": "2025-01-01T00:00:00Z"}
    )
    assert condition.message == ""
    assert condition.observed_generation == 3

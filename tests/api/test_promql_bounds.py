"""PromQL that used to crash or stall augur: long chains of operators (recursion in the alert
renderer, a native stack overflow in the parser), and error locating that grew with the
square of the expression's length."""

from __future__ import annotations

import math
from typing import Any

import promql_parser
import pytest

from augur.api import promql
from augur.api.promql import (
    _FILLERS,
    MAX_NESTING,
    PromQLError,
    check_promql,
    nesting_bound,
    parse_expression,
    tokenize,
)
from augur.api.resources import AlertPolicy, InvalidObject, parse_resource
from augur.render.rules.files import RuleFile, render_rule_file
from augur.render.rules.tenancy import RuleScope


def chain(terms: int) -> str:
    return " + ".join(["up"] * terms)


def policy(expr: str, name: str = "p") -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"alerts": [{"name": "A", "severity": "high", "expr": expr}]},
    }


def test_a_thousand_terms_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(policy(chain(1000) + " > 0"))
    [problem] = caught.value.problems
    assert problem.path == "spec.alerts[0].expr"
    assert "nested too deeply: up to 1000 levels of operators and brackets" in problem.message
    assert f"at most {MAX_NESTING}" in problem.message


def test_the_bound_is_exact_for_a_chain() -> None:
    check_promql(chain(MAX_NESTING + 1))  # MAX_NESTING operators
    with pytest.raises(PromQLError, match="nested too deeply"):
        check_promql(chain(MAX_NESTING + 2))


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 20_000 + "up" + ")" * 20_000,
        "abs(" * 20_000 + "up" + ")" * 20_000,
        "-" * 20_000 + "up",
        chain(20_000),
        "(" * 20_000,  # also not valid: the bound answers first, without parsing
    ],
)
def test_nesting_that_overflows_the_parser_is_refused_before_parsing(expr: str) -> None:
    # Parsed, each of these overflows the parser's native stack and kills the process.
    with pytest.raises(PromQLError, match="nested too deeply"):
        check_promql(expr)
    with pytest.raises(PromQLError, match="nested too deeply"):
        parse_expression(expr)


@pytest.mark.parametrize(
    ("expr", "depth"),
    [
        ("up", 0),
        ("a + b + c", 2),
        ("sum(rate(x[5m]))", 4),
        ("-(-(-up))", 5),
        ('up{a="((("} + 1', 1),  # brackets inside matchers do not nest
        ("a or b and c", 2),
    ],
)
def test_nesting_bound(expr: str, depth: int) -> None:
    assert nesting_bound(tokenize(expr))[0] == depth


def test_renderer_refuses_an_expression_that_skipped_validation() -> None:
    """The operator renders every other object of the stack: a deep expression that got
    past validation makes its own policy's problem, never an exception of the render."""
    valid = parse_resource(policy("up == 0"))
    assert isinstance(valid, AlertPolicy)
    deep_alert = valid.spec.alerts[0].model_copy(update={"expr": chain(1000) + " > 0"})
    spec = valid.spec.model_copy(update={"alerts": [deep_alert]})
    deep = valid.model_copy(update={"spec": spec})
    refused = render_rule_file(deep, RuleScope("shop"))
    assert isinstance(refused, list)
    assert "nested too deeply" in refused[0].message
    assert isinstance(render_rule_file(valid, RuleScope("shop")), RuleFile)


def test_locating_an_error_parses_a_logarithmic_number_of_prefixes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A flat expression (one level deep) of 2,000 matchers, broken at its very end.
    matchers = ", ".join(f'l{i}="v"' for i in range(2000))
    expr = f"up{{{matchers}}} +"
    tokens = len(tokenize(expr))
    calls = 0
    parse = promql_parser.parse

    def counting(text: str) -> Any:
        nonlocal calls
        calls += 1
        return parse(text)

    monkeypatch.setattr(promql.promql_parser, "parse", counting)
    with pytest.raises(PromQLError) as caught:
        check_promql(expr)
    assert caught.value.position == len(expr)  # every prefix can be completed: at the end
    assert caught.value.reason == "unexpected end of expression"
    # One parse of the whole, then per step of the binary search at most every filler, with
    # and without a range after an open selector.
    steps = math.ceil(math.log2(tokens)) + 1
    assert calls <= 1 + steps * 2 * len(_FILLERS)
    assert calls < tokens  # a scan prefix by prefix parses at least once per token


def test_an_error_after_a_range_function_is_placed_at_the_error() -> None:
    # Placed at the first selector's `{` before: its prefix, completed without a range, was
    # taken for the error.
    expr = (
        '1 - (sum(rate(http_requests_total{service="checkout"}[5m])) / '
        'sum(rate(http_requests_total{service"checkout"}[5m])))'
    )
    with pytest.raises(PromQLError) as caught:
        check_promql(expr)
    assert caught.value.position == expr.index('"checkout"}[5m])))')


@pytest.mark.parametrize(
    ("expr", "column"),
    [
        ("sum(rate(x[5m])) by (job) >", 28),
        ("sum(rate(x[5m]) by (job)", 4),
        ("rate(x[5m]) +* 2", 14),
    ],
)
def test_error_positions_at_the_start_and_end(expr: str, column: int) -> None:
    with pytest.raises(PromQLError) as caught:
        check_promql(expr)
    assert caught.value.column == column


def test_a_rule_expression_is_tokenized_and_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking a rule expression (its grammar, what Prometheus refuses, its value type) reads
    the source once: it is the most costly part of parsing a policy."""
    parses: list[str] = []
    tokenized: list[str] = []
    real_parse, real_tokenize = promql_parser.parse, promql.tokenize

    def parse(source: str) -> object:
        parses.append(source)
        return real_parse(source)

    def tokenize(source: str) -> list[promql.Token]:
        tokenized.append(source)
        return real_tokenize(source)

    monkeypatch.setattr(promql.promql_parser, "parse", parse)
    monkeypatch.setattr(promql, "tokenize", tokenize)
    expr = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) > 1'
    promql.check_rule_expression(expr)
    assert (parses, tokenized) == ([expr], [expr])
    with pytest.raises(promql.PromQLError, match="range vector"):
        promql.check_rule_expression("up[5m]")

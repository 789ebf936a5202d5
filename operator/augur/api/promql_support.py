"""What Prometheus 3.5 refuses in an expression that the PromQL grammar (promql-parser) takes.

promql-parser follows a newer grammar than the Prometheus augur deploys and checks less than
Go does: it knows functions Prometheus 3.5 does not have or has only behind
`--enable-feature=promql-experimental-functions` (which augur does not set), takes `or`
between label matchers, regular expressions in Rust's syntax, numbers beyond a float and
durations beyond Go's range. `refusals` names each such place, with its offset, so that the
expression is refused where Prometheus would refuse the whole rule file.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from typing import Any

import promql_parser

from augur.api.durations import check_duration
from augur.api.regex import regex_problem

PROMETHEUS_FUNCTIONS = frozenset(
    [
        "abs",
        "absent",
        "absent_over_time",
        "acos",
        "acosh",
        "asin",
        "asinh",
        "atan",
        "atanh",
        "avg_over_time",
        "ceil",
        "changes",
        "clamp",
        "clamp_max",
        "clamp_min",
        "cos",
        "cosh",
        "count_over_time",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "deg",
        "delta",
        "deriv",
        "exp",
        "floor",
        "histogram_avg",
        "histogram_count",
        "histogram_fraction",
        "histogram_quantile",
        "histogram_stddev",
        "histogram_stdvar",
        "histogram_sum",
        "hour",
        "idelta",
        "increase",
        "irate",
        "label_join",
        "label_replace",
        "last_over_time",
        "ln",
        "log10",
        "log2",
        "max_over_time",
        "min_over_time",
        "minute",
        "month",
        "pi",
        "predict_linear",
        "present_over_time",
        "quantile_over_time",
        "rad",
        "rate",
        "resets",
        "round",
        "scalar",
        "sgn",
        "sin",
        "sinh",
        "sort",
        "sort_desc",
        "sqrt",
        "stddev_over_time",
        "stdvar_over_time",
        "sum_over_time",
        "tan",
        "tanh",
        "time",
        "timestamp",
        "vector",
        "year",
    ]
)
"""The functions of Prometheus 3.5 that are not experimental (promql/parser/functions.go)."""

EXPERIMENTAL_AGGREGATIONS = frozenset({"limitk", "limit_ratio"})

# Go reads `@` timestamps into int64 milliseconds
_MAX_AT_SECONDS = 2**63 / 1000

Token = tuple[str, str, int]
"""A token as (kind, text, start offset): `augur.api.promql.tokenize`'s, in short."""


def _children(node: Any) -> Iterator[Any]:
    for name in ("lhs", "rhs", "param", "expr", "vector_selector"):
        child = getattr(node, name, None)
        if child is not None and not isinstance(child, int | float | str):
            yield child
    if isinstance(node, promql_parser.Call):
        yield from node.args


def _nodes(tree: Any) -> Iterator[Any]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(_children(node))))


def _unquote(text: str) -> str | None:
    if text.startswith("`"):
        return text[1:-1]
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _string_at(tokens: list[Token], value: str) -> int:
    for kind, text, start in tokens:
        if kind == "string" and _unquote(text) == value:
            return start
    return 0


def _ident_at(tokens: list[Token], name: str) -> int:
    for kind, text, start in tokens:
        if kind == "ident" and text.lower() == name:
            return start
    return 0


def _selector_refusals(node: Any, tokens: list[Token]) -> Iterator[tuple[str, int]]:
    groups = node.matchers.or_matchers or [node.matchers.matchers]
    if node.matchers.or_matchers:
        yield (
            "`or` between label matchers is not supported by Prometheus 3.5",
            _ident_at(tokens, "or"),
        )
    for group in groups:
        for matcher in group:
            if matcher.op in (promql_parser.MatchOp.Re, promql_parser.MatchOp.NotRe):
                problem = regex_problem(matcher.value, prometheus=True)
                if problem is not None:
                    yield f"{matcher.name}: {problem}", _string_at(tokens, matcher.value)


def _node_refusals(node: Any, tokens: list[Token]) -> Iterator[tuple[str, int]]:
    if isinstance(node, promql_parser.Call):
        name = node.func.name
        if name not in PROMETHEUS_FUNCTIONS:
            yield f"function {name!r} is not enabled in Prometheus 3.5", _ident_at(tokens, name)
        elif name == "label_replace" and isinstance(node.args[4], promql_parser.StringLiteral):
            problem = regex_problem(node.args[4].val, prometheus=True)
            if problem is not None:
                yield f"label_replace: {problem}", _string_at(tokens, node.args[4].val)
    elif isinstance(node, promql_parser.AggregateExpr):
        op = str(node.op).lower()
        if op in EXPERIMENTAL_AGGREGATIONS:
            yield f"{op} is experimental, not enabled in Prometheus 3.5", _ident_at(tokens, op)
    elif isinstance(node, promql_parser.VectorSelector):
        yield from _selector_refusals(node, tokens)


def _token_refusals(tokens: list[Token]) -> Iterator[tuple[str, int]]:
    previous = ""
    for kind, text, start in tokens:
        if kind == "duration":
            try:
                check_duration(text)
            except ValueError:
                yield f"duration {text} is out of range (at most about 292y)", start
        elif kind == "number":
            value = float(int(text, 16)) if text[:2].lower() == "0x" else float(text)
            if math.isinf(value) or (text[:2].lower() == "0x" and value >= 2**63):
                yield f"number {text} is out of range", start
            elif previous == "@" and value >= _MAX_AT_SECONDS:
                yield f"timestamp {text} is out of range for @", start
        previous = text


def refusals(tree: Any, tokens: list[Token]) -> list[tuple[str, int]]:
    """What Prometheus 3.5 refuses in the parsed expression `tree` (its tokens given), each
    with the offset of the token it is about, in the order of the source."""
    found = list(_token_refusals(tokens))
    for node in _nodes(tree):
        found.extend(_node_refusals(node, tokens))
    return sorted(found, key=lambda item: item[1])


_INSTANT = {"vector", "scalar"}


def value_type(tree: Any) -> str:
    """The type of a parsed expression's value: vector, scalar, matrix or string."""
    node = tree
    while isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        node = node.expr
    if isinstance(node, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        return "matrix"
    if isinstance(node, promql_parser.StringLiteral):
        return "string"
    if isinstance(node, promql_parser.NumberLiteral):
        return "scalar"
    if isinstance(node, promql_parser.Call):
        return re.sub(r"^.*\.", "", str(node.func.return_type)).lower()
    if isinstance(node, promql_parser.BinaryExpr):
        sides = {value_type(node.lhs), value_type(node.rhs)}
        return "vector" if "vector" in sides else "scalar"
    return "vector"

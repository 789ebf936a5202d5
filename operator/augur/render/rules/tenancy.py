"""Tenant isolation: a label matcher injected into every vector selector of a PromQL expression.

The PyPI PromQL parser's AST is read-only and cannot print PromQL back, so the injector works
on the token stream of `augur.api.promql.tokenize` and splices text into the original source:
comments, strings, spacing and everything the user wrote stay as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from augur.api.promql import _TOKEN_RE, PromQLError, Token
from augur.render.rules.promql_text import quote

# Words that are never metric names where they occur (PromQL keywords are case-insensitive).
_BINARY_KEYWORDS = frozenset({"and", "or", "unless", "atan2"})
_MODIFIER_KEYWORDS = frozenset({"bool", "offset"})
# Keywords followed by a parenthesised list of label names, not of expressions.
_GROUPING_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# Aggregation operators are keywords even when `by`/`without` separates them from `(`.
_AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
    | {"bottomk", "topk", "quantile", "limitk", "limit_ratio"}
)
_NUMBER_WORDS = frozenset({"inf", "nan"})
_NOT_METRIC_NAMES = (
    _BINARY_KEYWORDS | _MODIFIER_KEYWORDS | _GROUPING_KEYWORDS | _AGGREGATIONS | _NUMBER_WORDS
)


class InjectionError(ValueError):
    """The expression's brackets do not nest (it is not valid PromQL)."""


# One match per token, the whitespace before it included: (whole match, then the groups of
# `augur.api.promql`'s token classes: ws, comment, string, duration, number, ident, op). The
# matches of a valid expression cover it without a gap.
_SCAN = re.compile(r"(\s*(?:" + _TOKEN_RE.pattern + "))", re.VERBOSE)

# What the scan is in the middle of.
_NORMAL = 0
_SKIP = 1  # a range, subquery or grouping list, to its closing bracket
_BRACES = 2  # the matchers of a selector, to the closing brace
_NAME = 3  # after an identifier that is a metric name unless `(` follows
_GROUPING = 4  # after by/without/on/ignoring/group_left/group_right


def tokens_of(expr: str) -> list[Token]:
    """The tokens of `expr` (as `augur.api.promql.tokenize`, in one regex scan: faster)."""
    tokens: list[Token] = []
    position = 0
    for match in _TOKEN_RE.finditer(expr):
        if match.start() != position:
            raise PromQLError("unexpected character", position, expr)
        position = match.end()
        kind = match.lastgroup or "op"
        if kind != "ws" and kind != "comment":
            tokens.append(Token(kind, match.group(), match.start(), position))
    if position != len(expr):
        raise PromQLError("unexpected character", position, expr)
    return tokens


def inject_matcher(expr: str, label: str, value: str) -> str:
    """`expr` with `label="value"` added to every vector selector (instant and range).

    A selector already holding exactly that matcher is left alone; one holding another
    value for the label keeps it too, so it then selects nothing (both must hold).

    One pass over the tokens: ranges, subqueries and grouping lists (`by (...)`) are skipped
    to their closing bracket; a metric name gets braces with the matcher unless braces or `(`
    (a function) follow; braces get the matcher before their `}` unless they hold it already.
    """
    quoted = quote(value)
    matcher = f"{label}={quoted}"
    edits: list[tuple[int, str]] = []  # (offset, text to insert there), in offset order
    state, position, name_end, depth, opened_at = _NORMAL, 0, 0, 0, 0
    opening = closing = previous = before = ""
    found = False
    for whole, _, _, string, duration, number, ident, op in _SCAN.findall(expr):
        position += len(whole)
        text = op or ident or string or duration or number
        if not text:
            continue  # whitespace or a comment
        if state == _SKIP:
            if op == opening:
                depth += 1
            elif op == closing:
                depth -= 1
                state = _SKIP if depth else _NORMAL
            continue
        if state == _BRACES:
            depth += (op == "{") - (op == "}")
            if depth == 0:
                if not found:
                    edits.append((position - 1, _separator(previous) + matcher))
                state = _NORMAL
                continue
            found = found or (text == quoted and previous == "=" and before == label)
            before, previous = previous, text
            continue
        if state == _NAME:
            state = _NORMAL
            if op == "(":
                continue  # a function
            if op != "{":
                edits.append((name_end, "{" + matcher + "}"))
        elif state == _GROUPING:
            state = _NORMAL
            if op == "(":
                state, opening, closing, depth, opened_at = _SKIP, "(", ")", 1, position - 1
                continue  # label names, not selectors
        if op == "[":
            state, opening, closing, depth, opened_at = _SKIP, "[", "]", 1, position - 1
        elif op == "{":
            state, opening, depth, opened_at = _BRACES, "{", 1, position - 1
            previous, before, found = "{", "", False
        elif ident:
            word = ident.lower()
            if word in _GROUPING_KEYWORDS:
                state = _GROUPING
            elif word not in _NOT_METRIC_NAMES:
                state, name_end = _NAME, position
    if position != len(expr):
        tokens_of(expr)  # raises PromQLError at the first character that starts no token
        raise PromQLError("unexpected character", position, expr)  # (not reached)
    if state in (_SKIP, _BRACES):
        raise InjectionError(f"unbalanced {opening!r} at offset {opened_at}")
    if state == _NAME:
        edits.append((name_end, "{" + matcher + "}"))
    return _apply(expr, edits)


def _separator(previous: str) -> str:
    """What goes between the last token inside braces and an added matcher."""
    return "" if previous in ("{", ",") else ", "


def _apply(expr: str, edits: list[tuple[int, str]]) -> str:
    parts: list[str] = []
    last = 0
    for offset, text in edits:
        parts.append(expr[last:offset])
        parts.append(text)
        last = offset
    parts.append(expr[last:])
    return "".join(parts)


@dataclass(frozen=True)
class RuleScope:
    """Where an object's rules live: its namespace and, under tenancy, the enforced label."""

    namespace: str
    enforce_label: str | None = None
    """Set when the object's rules may only see series with enforce_label = namespace."""

    def restrict(self, expr: str) -> str:
        """The user's expression, limited to the tenant's series under tenancy."""
        if self.enforce_label is None:
            return expr
        return inject_matcher(expr, self.enforce_label, self.namespace)

    @property
    def tenant_labels(self) -> dict[str, str]:
        """Static labels every rule of the object carries so its own later rules find it."""
        labels = {"namespace": self.namespace}
        if self.enforce_label is not None:
            labels[self.enforce_label] = self.namespace
        return labels


def scope_for(object_namespace: str, stack_namespace: str, enforce_label: str | None) -> RuleScope:
    """Tenancy applies to objects from namespaces other than the stack's own."""
    if enforce_label is None or object_namespace == stack_namespace:
        return RuleScope(object_namespace)
    return RuleScope(object_namespace, enforce_label)

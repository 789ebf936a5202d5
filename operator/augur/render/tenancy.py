"""Tenant isolation: a label matcher injected into every vector selector of a PromQL expression.

The PyPI PromQL parser's AST is read-only and cannot print PromQL back, so the injector works
on the token stream of `augur.api.promql.tokenize` and splices text into the original source:
comments, strings, spacing and everything the user wrote stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from augur.api.promql import _TOKEN_RE, PromQLError, Token
from augur.render.promql_text import quote

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
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class InjectionError(ValueError):
    """The expression's tokens do not nest (it is not valid PromQL)."""


def _matching(tokens: list[Token], index: int) -> int:
    """Index of the bracket closing the one at `index`."""
    opening = tokens[index].text
    closing = _CLOSING[opening]
    depth = 0
    for position in range(index, len(tokens)):
        text = tokens[position].text
        if tokens[position].kind != "op":
            continue
        if text == opening:
            depth += 1
        elif text == closing:
            depth -= 1
            if depth == 0:
                return position
    raise InjectionError(f"unbalanced {opening!r} at offset {tokens[index].start}")


def _has_matcher(tokens: list[Token], start: int, end: int, label: str, quoted: str) -> bool:
    """True when the braces tokens[start]..tokens[end] already hold exactly `label="value"`."""
    for position in range(start + 1, end - 2):
        if (
            tokens[position].text == label
            and tokens[position + 1].text == "="
            and tokens[position + 2].text == quoted
        ):
            return True
    return False


@dataclass
class _Splice:
    offset: int
    text: str


def _selector_braces(
    tokens: list[Token], brace: int, label: str, value: str, edits: list[_Splice]
) -> int:
    """Add the matcher inside the braces at `brace`; return the index after them."""
    end = _matching(tokens, brace)
    if not _has_matcher(tokens, brace, end, label, quote(value)):
        matcher = f"{label}={quote(value)}"
        previous = tokens[end - 1].text
        prefix = "" if previous in ("{", ",") else ", "
        edits.append(_Splice(tokens[end].start, prefix + matcher))
    return end + 1


def _is_metric_name(tokens: list[Token], index: int) -> bool:
    token = tokens[index]
    word = token.text.lower()
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    if following == "(":
        return False  # a function, an aggregation or a grouping keyword
    return word not in _NOT_METRIC_NAMES


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
    """
    tokens = tokens_of(expr)
    edits: list[_Splice] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op" and token.text == "[":
            index = _matching(tokens, index) + 1  # range or subquery: durations only
        elif token.kind == "op" and token.text == "{":
            index = _selector_braces(tokens, index, label, value, edits)
        elif token.kind == "ident" and token.text.lower() in _GROUPING_KEYWORDS:
            following = index + 1
            if following < len(tokens) and tokens[following].text == "(":
                index = _matching(tokens, following) + 1  # label names, not selectors
            else:
                index += 1
        elif token.kind == "ident" and _is_metric_name(tokens, index):
            following = index + 1
            if following < len(tokens) and tokens[following].text == "{":
                index = _selector_braces(tokens, following, label, value, edits)
            else:
                edits.append(_Splice(token.end, f"{{{label}={quote(value)}}}"))
                index += 1
        else:
            index += 1
    return _apply(expr, edits)


def _apply(expr: str, edits: list[_Splice]) -> str:
    parts: list[str] = []
    last = 0
    for edit in edits:
        parts.append(expr[last : edit.offset])
        parts.append(edit.text)
        last = edit.offset
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

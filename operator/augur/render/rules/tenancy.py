"""Tenant isolation: a label matcher injected into every vector selector of a PromQL expression.

Prometheus' grammar decides where the matcher goes. PromQL's keywords are case-insensitive and
most of them are metric names where the grammar wants one (`count > 0`, `sum(by)`,
`rate(offset[5m])`): no list of words can tell. So the parser (`promql_parser`, Prometheus'
own grammar) decides every word whose role depends on where it stands, and checks the result:

1. One scan of the tokens (`augur.api.promql`'s token classes) finds the places a selector can
   end: the `}` of every selector's braces, and every identifier that is followed by neither
   `(` (a function, an aggregation or a grouping keyword) nor `{`, outside braces, ranges and
   grouping lists. An identifier that is not a keyword of Prometheus' lexer is lexed as a
   name, so there it is a metric name.
2. A keyword at such a place is a metric name exactly when the expression with that one word
   replaced by a fresh name still parses, with the same selectors but this one renamed
   (`count > 0`: yes; the `and` of `a and b`: no).
3. The matcher is spliced in at those places, and the result is parsed again: every vector
   selector must hold the matcher and there must be as many as before, or the expression is
   refused (InjectionError). Whatever the scan or the probe got wrong, an expression that
   would read another tenant's series is never returned.

The PyPI parser's AST cannot print PromQL back, so the matcher is spliced into the original
text: comments, strings, spacing and everything the user wrote stay as they were. Where the
matcher goes depends only on the expression, not on the label or value (always a label name
and a quoted string), so steps 1–3 run once per expression (cached) with a placeholder, and
each tenant's copy is one splice.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import promql_parser

from augur.api.promql import _TOKEN_RE, PromQLError, Token, check_promql
from augur.render.rules.promql_text import quote

# The keywords of Prometheus' lexer (`key` in promql/parser/lex.go, matched in any case): the
# only identifiers whose role depends on where they stand. This table only says which words
# the parser is asked about (step 2); a word missing from it is caught by the check (step 3).
_LEXER_KEYWORDS = frozenset(
    {"and", "or", "unless", "atan2", "offset", "bool", "start", "end", "step"}
    | {"by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
    | {"bottomk", "topk", "quantile", "limitk", "limit_ratio", "anchored", "smoothed"}
)
# Lexed as numbers (`Inf`, `NaN`), never names: asking the parser would mislead it, since a
# fresh name in their place is read as a selector.
_NUMBER_WORDS = frozenset({"inf", "nan"})
# Keywords followed by a parenthesised list of label names, not of expressions.
_GROUPING_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})

_CHECK_LABEL = "augur_tenancy_check"
_CHECK_VALUE = "augur-tenancy-check"


class InjectionError(ValueError):
    """The expression cannot be restricted: its brackets do not nest, or the restricted
    expression would not hold the matcher in every vector selector."""


# One match per token, the whitespace before it included: (whole match, then the groups of
# `augur.api.promql`'s token classes: ws, comment, string, duration, number, ident, op). The
# matches of a valid expression cover it without a gap.
_SCAN = re.compile(r"(\s*(?:" + _TOKEN_RE.pattern + "))", re.VERBOSE)

# What the scan is in the middle of.
_NORMAL = 0
_SKIP = 1  # a range, subquery or grouping list, to its closing bracket
_BRACES = 2  # the matchers of a selector, to the closing brace
_NAME = 3  # after an identifier that is a metric name unless `(` or `{` follows


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


@dataclass(frozen=True)
class _NameSite:
    """An identifier that may be a metric name without braces: `{matcher}` goes at `end`."""

    start: int
    end: int
    keyword: bool
    """Spelled as a lexer keyword: the parser decides whether it is a metric name here."""


@dataclass(frozen=True)
class _BraceSite:
    """A selector's braces: the matcher goes before the `}` at `close`."""

    close: int
    separator: str
    """What goes before the matcher: ", " unless the braces are empty or end with a comma."""
    equalities: frozenset[tuple[str, str]]
    """(label, quoted value) of the `label="value"` matchers already there, as written."""


_Site = _NameSite | _BraceSite


def _scan(expr: str) -> list[_Site]:
    """Every place a vector selector can end (step 1 of the module's description).

    Ranges, subqueries and grouping lists (`by (...)`) are skipped to their closing bracket.
    Raises PromQLError at a character that starts no token, InjectionError for a bracket
    that does not close.
    """
    sites: list[_Site] = []
    state, position, depth, opened_at = _NORMAL, 0, 0, 0
    opening = closing = previous = before = ""
    name: tuple[int, int, bool] = (0, 0, False)
    pairs: set[tuple[str, str]] = set()
    for whole, _, _, string, duration, number, ident, op in _SCAN.findall(expr):
        start = position + len(whole) - len(op or ident or string or duration or number)
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
                separator = "" if previous in ("{", ",") else ", "
                sites.append(_BraceSite(position - 1, separator, frozenset(pairs)))
                state = _NORMAL
                continue
            if previous == "=" and string:
                pairs.add((before, text))
            before, previous = previous, text
            continue
        if state == _NAME:
            state = _NORMAL
            word = expr[name[0] : name[1]].lower()
            if op == "(":
                if word in _GROUPING_KEYWORDS:
                    state, opening, closing, depth, opened_at = _SKIP, "(", ")", 1, start
                continue  # a function, an aggregation, or the label list of a grouping
            if op != "{":
                sites.append(_NameSite(*name))
        if op == "[":
            state, opening, closing, depth, opened_at = _SKIP, "[", "]", 1, start
        elif op == "{":
            state, opening, depth, opened_at = _BRACES, "{", 1, start
            previous, before, pairs = "{", "", set()
        elif ident and ident.lower() not in _NUMBER_WORDS:
            state, name = _NAME, (start, position, ident.lower() in _LEXER_KEYWORDS)
    if position != len(expr):
        tokens_of(expr)  # raises PromQLError at the first character that starts no token
        raise PromQLError("unexpected character", position, expr)  # (not reached)
    if state in (_SKIP, _BRACES):
        raise InjectionError(f"unbalanced {opening!r} at offset {opened_at}")
    if state == _NAME:
        sites.append(_NameSite(*name))
    return sites


def vector_selectors(tree: Any) -> list[Any]:
    """Every VectorSelector of a parsed expression, those inside range selectors too (no
    recursion: expressions may nest deeply). An unknown kind of node raises InjectionError."""
    found: list[Any] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        elif isinstance(node, promql_parser.MatrixSelector):
            pending.append(node.vector_selector)
        elif isinstance(node, promql_parser.Call):
            pending.extend(node.args)
        elif isinstance(node, promql_parser.BinaryExpr):
            pending += (node.lhs, node.rhs)
        elif isinstance(node, promql_parser.AggregateExpr):
            pending.append(node.expr)
            if node.param is not None:
                pending.append(node.param)
        elif isinstance(
            node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr
        ):
            pending.append(node.expr)
        elif not isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
            raise InjectionError(f"unexpected PromQL node {type(node).__name__}")
    return found


def _parse(expr: str) -> Any:
    """The AST of `expr`; PromQLError (with the error's position) when it does not parse."""
    try:
        return promql_parser.parse(expr)
    except ValueError:
        check_promql(expr)  # raises with the position
        raise PromQLError("invalid PromQL", 0, expr) from None  # (not reached)


def _fresh_name(expr: str) -> str:
    """A metric name that occurs nowhere in `expr`."""
    name, counter = "augur_probe", 0
    while name in expr:
        counter += 1
        name = f"augur_probe{counter}"
    return name


def _is_metric_name(expr: str, site: _NameSite, fresh: str, names: Counter[str | None]) -> bool:
    """Whether the keyword at `site` is a metric name (step 2 of the module's description):
    with a fresh name in its place the expression parses, and its selectors are the original
    ones (`names`) with this word's turned into the fresh name's. (That the fresh name makes
    some selector is not enough: in `x > bool Or{a="b"}`, `x > fresh Or{a="b"}` parses, with
    `Or` read as the operator.)"""
    word = expr[site.start : site.end]
    if not names[word]:
        return False
    probe = expr[: site.start] + fresh + expr[site.end :]
    try:
        tree = promql_parser.parse(probe)
    except ValueError:
        return False
    expected = names.copy()
    expected[word] -= 1
    expected[fresh] += 1
    return Counter(s.name for s in vector_selectors(tree)) == +expected


def _splice(expr: str, sites: tuple[_Site, ...], label: str, value: str) -> str:
    """`expr` with `label="value"` at every site, but in braces that hold it already."""
    quoted = quote(value)
    matcher = f"{label}={quoted}"
    parts: list[str] = []
    last = 0
    for site in sites:
        if isinstance(site, _NameSite):
            offset, text = site.end, "{" + matcher + "}"
        elif (label, quoted) in site.equalities:
            continue
        else:
            offset, text = site.close, site.separator + matcher
        parts.append(expr[last:offset])
        parts.append(text)
        last = offset
    parts.append(expr[last:])
    return "".join(parts)


SITES_CACHED = 1024
"""Expressions whose selector sites are kept: those of the policies rendered last, asked for
again when one renders again. (8,192 held about 6 MiB once 5,000 policies of 10 alerts had
rendered under tenancy, 1,024 hold under 1 MiB; a miss costs one parse, about 0.6 ms.)"""


@functools.lru_cache(maxsize=SITES_CACHED)
def selector_sites(expr: str) -> tuple[_Site, ...]:
    """Where a matcher goes in `expr`: the end of each vector selector, decided and checked
    by Prometheus' grammar (the module's description). Raises PromQLError when `expr` is not
    PromQL, InjectionError when it cannot be restricted."""
    candidates = _scan(expr)
    original = vector_selectors(_parse(expr))
    names = Counter(s.name for s in original)
    sites: list[_Site] = []
    fresh = ""
    for site in candidates:
        if isinstance(site, _NameSite) and site.keyword:
            fresh = fresh or _fresh_name(expr)
            if not _is_metric_name(expr, site, fresh, names):
                continue
        sites.append(site)
    result = tuple(sites)
    checked = _splice(expr, result, _CHECK_LABEL, _CHECK_VALUE)
    try:
        restricted = vector_selectors(promql_parser.parse(checked))
    except ValueError as error:
        raise InjectionError(f"the restricted expression does not parse: {error}") from None
    wanted = (_CHECK_LABEL, promql_parser.MatchOp.Equal, _CHECK_VALUE)
    unrestricted = [
        s
        for s in restricted
        if not any((m.name, m.op, m.value) == wanted for m in s.matchers.matchers)
    ]
    if unrestricted or len(restricted) != len(original):
        raise InjectionError(
            "the expression cannot be restricted to the tenant: "
            f"{len(unrestricted)} of its {len(restricted)} selectors would read every namespace"
        )
    return result


def inject_matcher(expr: str, label: str, value: str) -> str:
    """`expr` with `label="value"` added to every vector selector (instant and range).

    A selector already holding exactly that matcher is left alone; one holding another
    value for the label keeps it too, so it then selects nothing (both must hold). Raises
    PromQLError when `expr` is not PromQL, InjectionError when it cannot be restricted.
    """
    return _splice(expr, selector_sites(expr), label, value)


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

    def user_labels(self, labels: dict[str, str]) -> dict[str, str]:
        """`labels` a tenant set, without the labels augur sets to the tenant's namespace
        (`namespace` and the enforced label): a tenant never names another namespace in its
        rules' labels (validation refuses it; this keeps render from ever emitting it)."""
        reserved = self.tenant_labels
        if not any(name in reserved for name in labels):
            return labels
        return {name: value for name, value in labels.items() if name not in reserved}


def scope_for(object_namespace: str, stack_namespace: str, enforce_label: str | None) -> RuleScope:
    """Tenancy applies to objects from namespaces other than the stack's own."""
    if enforce_label is None or object_namespace == stack_namespace:
        return RuleScope(object_namespace)
    return RuleScope(object_namespace, enforce_label)

"""PromQL syntax checking with the position of the first error, on Prometheus' own grammar.

Nesting is bounded before anything parses: the parser's time grows with the square of an
expression's depth and its native stack overflows (the process dies) a few thousand levels
down, and every walk of an expression in augur is then short. Locating an error parses
completed prefixes in a binary search: O(n log n) in the expression's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import promql_parser

from augur.api.promql_support import refusals, value_type

# One alternative per token class; order matters (longest operators first).
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![\w:]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=@:,(){}\[\]])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """A lexical token of a PromQL expression, with its offsets in the source."""

    kind: str
    text: str
    start: int
    end: int


MAX_NESTING = 128
"""Deepest expression accepted: levels of binary and unary operators, brackets and subqueries
(`a + b + c` is two levels, `sum(rate(x[5m]))` four: a chain of operators nests one level per
operator). Realistic rules stay below 30; a longer chain is better split into recording
rules."""

_BINARY_OPS = frozenset({"+", "-", "*", "/", "%", "^", "==", "!=", "<=", ">=", "<", ">"})
_BINARY_WORDS = frozenset({"and", "or", "unless", "atan2"})


class PromQLError(ValueError):
    """A PromQL expression that does not parse; `position` is a 0-based character offset."""

    def __init__(self, message: str, position: int, source: str) -> None:
        self.reason = message
        self.position = position
        self.source = source
        line = source.count("\n", 0, position) + 1
        column = position - (source.rfind("\n", 0, position) + 1) + 1
        self.line = line
        self.column = column
        where = f"column {column}" if "\n" not in source else f"line {line}, column {column}"
        super().__init__(f"invalid PromQL at {where}: {message}")


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens (whitespace and comments dropped).

    Raises PromQLError at the first character that starts no token (for example an
    unterminated string).
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None:
            char = source[pos]
            reason = "unterminated string" if char in "\"'`" else f"unexpected character {char!r}"
            raise PromQLError(reason, pos, source)
        kind = match.lastgroup or "op"
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
        pos = match.end()
    return tokens


def nesting_bound(tokens: list[Token]) -> tuple[int, int]:
    """An upper bound of the depth of the expression's syntax tree, computed from its tokens in
    one pass, and the offset of the deepest point along the way (where to point a person).

    Within one pair of brackets, terms joined by k operators form a tree at most k levels deep
    above its deepest term; a bracketed group is one level above what it holds; a range or
    subquery wraps the term before it. Matchers in braces never nest. An operator word that
    names a metric only makes the bound larger.
    """
    frames: list[list[int]] = [[0, 0]]  # per open bracket: [operators, deepest group inside]
    braces = path = deepest = offset = 0  # path: operators and brackets open around a token
    for token in tokens:
        text = token.text
        if braces:
            braces += (text == "{") - (text == "}")
            continue
        frame = frames[-1]
        if text == "{":
            braces = 1
        elif text in ("(", "["):
            frame[0] += text == "["
            path += 1 + (text == "[")
            frames.append([0, 0])
        elif text in (")", "]") and len(frames) > 1:
            operators, inner = frames.pop()
            frames[-1][1] = max(frames[-1][1], operators + inner + 1)
            path -= operators + 1
        elif text in _BINARY_OPS or text.lower() in _BINARY_WORDS:
            frame[0] += 1
            path += 1
        if path > deepest:
            deepest, offset = path, token.start
    depth = 0
    while frames:
        operators, inner = frames.pop()
        depth = operators + max(inner, depth) + (1 if frames else 0)
    return depth, offset


# Fillers that complete an unfinished but well-formed prefix of an expression (the brackets
# still open are closed after them); a prefix that no filler completes contains the error.
_FILLERS = (
    "",
    " 1",
    " x",
    "x",
    "1",
    "5m",
    "5m:1m",
    "[5m]",
    " x[5m]",
    "x[5m]",
    "(x)",
    " (x)",
    "(l) (x)",
    " (l) (x)",
    "(l) x",
    "l) (x",
    "l) x",
    "l",
    '""',
    '="x"',
    'l="x"',
    "1, x[5m]",
    " 1m",
)
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_FILLER_TOKENS = {filler: [t.text for t in tokenize(filler)] for filler in _FILLERS}


def _viable(prefix: str, closers: str) -> bool:
    """True when some filler completes `prefix` (whose open brackets `closers` closes, in
    order) into a valid expression."""
    for filler in _FILLERS:
        completion = _completion(closers, filler)
        if completion is None:
            continue
        # A selector still open may be the argument of a function that takes a range.
        ranged = completion.replace("}", "}[5m]", 1) if "}" in completion else None
        for closing in (completion, ranged):
            if closing is None:
                continue
            try:
                promql_parser.parse(prefix + filler + closing)
            except ValueError:
                continue
            return True
    return False


def _completion(closers: str, filler: str) -> str | None:
    """The brackets closing what is open after a prefix whose open brackets `closers` closes,
    once `filler` follows it; None when the filler closes a bracket that is not open. (Only a
    bracket token of the filler's own changes what is open: a prefix ends at a token's end, so
    the filler cannot continue a string or comment of the prefix.)"""
    stack = list(reversed(closers))
    for token in _FILLER_TOKENS[filler]:
        if token in _CLOSER:
            stack.append(_CLOSER[token])
        elif token in (")", "]", "}") and (not stack or stack.pop() != token):
            return None
    return "".join(reversed(stack))


def _open_brackets(tokens: list[Token]) -> list[str]:
    """After each token, the closing brackets of the brackets still open, innermost first ("?"
    when a bracket was closed that was not open: no completion exists)."""
    stack: list[str] = []
    broken = False
    after: list[str] = []
    for token in tokens:
        if token.text in _CLOSER:
            stack.append(_CLOSER[token.text])
        elif token.text in (")", "]", "}") and (not stack or stack.pop() != token.text):
            broken = True
        after.append("?" if broken else "".join(reversed(stack)))
    return after


def _locate(source: str, tokens: list[Token]) -> int:
    """The offset of the first token after which no completion can make the expression valid.

    A prefix that no completion saves stays unsaveable when it grows, so the first one is
    found by binary search: O(log n) parses of at most n characters each.
    """
    closers = _open_brackets(tokens)
    low, high = 0, len(tokens)  # the first unsaveable prefix ends at a token in [low, high)
    while low < high:
        middle = (low + high) // 2
        end = tokens[middle].end
        if closers[middle] != "?" and _viable(source[:end], closers[middle]):
            low = middle + 1
        else:
            high = middle
    return tokens[low].start if low < len(tokens) else len(source.rstrip())


def check_nesting(source: str, tokens: list[Token] | None = None) -> None:
    """Raise PromQLError when `source` nests deeper than MAX_NESTING (or does not tokenize)."""
    depth, deepest = nesting_bound(tokenize(source) if tokens is None else tokens)
    if depth > MAX_NESTING:
        raise PromQLError(
            f"nested too deeply: up to {depth} levels of operators and brackets, at most "
            f"{MAX_NESTING} (split a long chain of operators into recording rules)",
            deepest,
            source,
        )


def parse_expression(source: str) -> Any:
    """The syntax tree of `source` (promql_parser's); PromQLError when it nests deeper than
    MAX_NESTING, ValueError when it does not parse. Renderers parse through this, so an
    expression that somehow skipped validation still cannot overflow the parser's stack: the
    object is refused, the others render."""
    check_nesting(source)
    return promql_parser.parse(source)


def _check_supported(source: str, tree: object, tokens: list[Token]) -> None:
    found = refusals(tree, [(token.kind, token.text, token.start) for token in tokens])
    if found:
        reason, position = found[0]
        raise PromQLError(reason, position, source)


def check_promql(source: str) -> Any:
    """Raise PromQLError (with the position of the error) when `source` is not PromQL that
    Prometheus 3.5 accepts: in the grammar, none of the `refusals` of promql_support, and no
    deeper than MAX_NESTING. Linear in the length of a valid expression; O(n log n) to place an
    error. Returns the syntax tree (promql_parser's): the source is tokenized and parsed once."""
    if not source.strip():
        raise PromQLError("empty expression", 0, source)
    tokens = tokenize(source)
    check_nesting(source, tokens)
    try:
        tree = promql_parser.parse(source)
    except ValueError as error:
        reason = str(error)
    else:
        _check_supported(source, tree, tokens)
        return tree
    if reason.startswith("unexpected right parenthesis"):
        depth = 0
        for token in tokens:
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
                if depth < 0:
                    raise PromQLError(reason, token.start, source) from None
    if reason.startswith("unclosed left parenthesis"):
        stack: list[Token] = []
        for token in tokens:
            if token.text == "(":
                stack.append(token)
            elif token.text == ")" and stack:
                stack.pop()
        if stack:
            raise PromQLError(reason, stack[-1].start, source) from None
    unknown = re.match(r"unknown function with name '(.+)'", reason)
    if unknown:
        for token in tokens:
            if token.text == unknown.group(1):
                raise PromQLError(reason, token.start, source) from None
    position = _locate(source, tokens)
    if reason == "invalid promql query":
        at_end = position >= len(source.rstrip())
        reason = "unexpected end of expression" if at_end else "syntax error"
    raise PromQLError(reason, position, source) from None


def check_rule_expression(source: str) -> None:
    """Raise PromQLError unless `source` is valid PromQL whose value Prometheus can record or
    alert on: an instant vector or a scalar (a range vector or a string loads, then fails at
    every evaluation)."""
    kind = value_type(check_promql(source))
    if kind not in ("vector", "scalar"):
        raise PromQLError(
            f"the expression is a {'range vector' if kind == 'matrix' else kind}; a rule "
            "needs an instant vector or a scalar",
            0,
            source,
        )

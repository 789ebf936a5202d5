"""PromQL syntax checking with the position of the first error, on Prometheus' own grammar."""

from __future__ import annotations

import re
from dataclasses import dataclass

import promql_parser

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
    " 1m",
)
_CLOSER = {"(": ")", "[": "]", "{": "}"}


def _closers(text: str) -> str | None:
    try:
        tokens = tokenize(text)
    except PromQLError:
        return None
    stack: list[str] = []
    for token in tokens:
        if token.text in _CLOSER:
            stack.append(_CLOSER[token.text])
        elif token.text in (")", "]", "}") and (not stack or stack.pop() != token.text):
            return None
    return "".join(reversed(stack))


def _viable(prefix: str) -> bool:
    for filler in _FILLERS:
        candidate = prefix + filler
        closers = _closers(candidate)
        if closers is None:
            continue
        try:
            promql_parser.parse(candidate + closers)
        except ValueError:
            continue
        return True
    return False


def _locate(source: str, tokens: list[Token]) -> int:
    """The offset of the first token after which no completion can make the expression valid."""
    for token in tokens:
        if not _viable(source[: token.end]):
            return token.start
    return len(source.rstrip())


def check_promql(source: str) -> None:
    """Raise PromQLError (with the position of the error) when `source` is not valid PromQL."""
    if not source.strip():
        raise PromQLError("empty expression", 0, source)
    try:
        promql_parser.parse(source)
        return
    except ValueError as error:
        reason = str(error)
    tokens = tokenize(source)
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

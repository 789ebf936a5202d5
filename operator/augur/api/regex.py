"""Regular expressions as Prometheus and Alertmanager read them: Go's RE2 syntax.

Python's `re` accepts much that Go refuses (`(?x)`, possessive `a++`, atomic groups, `\\Z`,
look-around, back-references, repeat counts over 1000). The check parses with RE2 itself (the
C++ library Go's `regexp/syntax` follows) and adds the few places the two differ: Go has no
`\\C`, and Prometheus, which rewrites a matcher's regular expression into a simpler one before
it compiles it, refuses counted repetitions that unfold deeper than Go's nesting limit.
"""

from __future__ import annotations

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
# Go's own limit on a compiled expression is far above RE2's default budget of 8 MiB
_OPTIONS.max_mem = 64 << 20

MAX_SPAN = 490
"""The most levels a counted repetition `x{n,m}` may unfold into in a regular expression
Prometheus reads: m - n nested optional groups, plus the groups around it. Go refuses a
parse tree more than 1000 deep, two for each level."""


def _escapes_and_counts(value: str) -> tuple[set[str], list[tuple[int, int]]]:
    """The escaped characters used outside `\\Q…\\E`, and for every `{n,m}` repetition the
    levels it nests (m - n, plus the groups around it)."""
    escapes: set[str] = set()
    counts: list[tuple[int, int]] = []
    index, in_class, depth = 0, False, 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            follower = value[index + 1]
            if follower == "Q":
                end = value.find("\\E", index + 2)
                index = len(value) if end < 0 else end + 2
                continue
            escapes.add(follower)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # a `]` first in a class is a literal
            if value.startswith("]", index + 1) or value.startswith("^]", index + 1):
                index += 2 if value[index + 1] == "]" else 3
                continue
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "{":
            close = value.find("}", index)
            low, comma, high = value[index + 1 : close].partition(",")
            if close > 0 and low.isdigit() and comma and high.isdigit():
                counts.append((int(high) - int(low), depth))
        index += 1
    return escapes, counts


def regex_problem(value: str, *, prometheus: bool = False) -> str | None:
    """Why Go (Alertmanager; with `prometheus`, Prometheus) refuses `value` as a regular
    expression, or None when it accepts it."""
    try:
        re2.compile(value, _OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else str(error)
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        return f"not an RE2 regular expression: {text}"
    escapes, counts = _escapes_and_counts(value)
    if "C" in escapes:
        return "not an RE2 regular expression: Go has no \\C"
    if prometheus:
        for span, depth in counts:
            if span + depth > MAX_SPAN:
                inside = f", inside {depth} more" if depth else ""
                return (
                    f"a repetition {{n,m}} unfolds into m - n = {span} nested groups{inside}: "
                    f"Prometheus refuses more than about {MAX_SPAN}"
                )
    return None

"""Small PromQL text builders for rule renderers: numbers, label values, selectors, matchers."""

from __future__ import annotations

import json
from decimal import Decimal

from augur.api.common import duration_seconds, format_duration
from augur.api.promql import tokenize


def number(value: float | int | Decimal) -> str:
    """A number as a person writes it: `3`, `0.999`, `14.4` (never `0.0009999999999999432`)."""
    if isinstance(value, Decimal):
        exact = value
    elif isinstance(value, int):
        exact = Decimal(value)
    else:
        # repr() is the shortest text that reads back as the same float: what the user wrote.
        exact = Decimal(repr(float(value)))
    text = format(exact.normalize(), "f")
    return "0" if text in ("-0", "") else text


def decimal(value: float) -> Decimal:
    """The float as the exact decimal the user wrote, for arithmetic without binary noise."""
    return Decimal(repr(float(value)))


_JSON = json.JSONEncoder(ensure_ascii=False)


def quote(value: str) -> str:
    """A PromQL double-quoted string literal (what `json.dumps(value, ensure_ascii=False)`
    writes, without making an encoder for every string)."""
    return _JSON.encode(value)


def matchers(labels: dict[str, str], *, op: str = "=") -> str:
    """`a="1", b="2"` for use inside braces, in the order given."""
    return ", ".join(f"{name}{op}{quote(value)}" for name, value in labels.items())


def selector(metric: str, labels: dict[str, str], extra: str = "") -> str:
    """`metric{a="1", b="2"}`; `extra` is appended matcher text such as `x!="y"`."""
    parts = [matchers(labels)] if labels else []
    if extra:
        parts.append(extra)
    return f"{metric}{{{', '.join(parts)}}}"


def scaled_duration(duration: str, factor: float, *, floor_seconds: float = 0) -> str:
    """`duration` × `factor`, rounded to whole minutes (at least `floor_seconds`)."""
    seconds = max(round(duration_seconds(duration) * factor / 60) * 60, floor_seconds)
    return format_duration(seconds)


def seconds(duration: str) -> str:
    """A duration as a number of seconds (for functions taking seconds, like predict_linear)."""
    return number(Decimal(str(duration_seconds(duration))))


def enclosable(expr: str) -> str:
    """`expr`, safe to put text after: a trailing `# comment` gets its line ended."""
    if "#" not in expr:
        return expr
    tokens = tokenize(expr)
    tail = expr[tokens[-1].end :] if tokens else expr
    return expr + "\n" if "#" in tail else expr

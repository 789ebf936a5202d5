"""Prometheus durations: the one grammar every kind and the forecast command accept.

The grammar is Prometheus's own: units from the largest to the smallest, each at most once
(`1y2w3d4h5m6s7ms`, any of them left out), or a bare `0`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

DURATION_PATTERN = r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$"
DURATION_MEANING = "a Prometheus duration (like 30s, 5m, 1h, 1d, 1w)"
"""What a duration looks like, in every message refusing one."""

_DURATION_UNITS = {
    "y": 365 * 86400.0,
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}
_DURATION_PART = re.compile(r"([0-9]+)(ms|[ywdhms])")


def check_duration(value: str) -> str:
    """`value` itself if it is a Prometheus duration; ValueError naming it otherwise."""
    if not value or not re.fullmatch(DURATION_PATTERN, value):
        raise ValueError(f"{value!r} is not {DURATION_MEANING}")
    return value


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as `1h30m` or `1w`; ValueError if it is not one."""
    check_duration(value)
    return sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(value))


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for `seconds`, to the millisecond (5400 -> `1h30m`).

    Weeks are the largest unit written; zero and negative spans are `0s`.
    """
    if seconds <= 0:
        return "0s"
    millis = round(seconds * 1000)
    parts = []
    for unit, size in (("w", 604800000), ("d", 86400000), ("h", 3600000), ("m", 60000)):
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    sec, ms = divmod(millis, 1000)
    if sec:
        parts.append(f"{sec}s")
    if ms:
        parts.append(f"{ms}ms")
    return "".join(parts)


Duration = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN, min_length=1, max_length=32),
    AfterValidator(check_duration),
]
"""A Prometheus duration: `30s`, `5m`, `1h`, `1d`, `1w`, combinations like `1h30m`."""

"""Prometheus durations: the one grammar every kind and the forecast command accept.

The grammar is Prometheus's own: units from the largest to the smallest, each at most once
(`1y2w3d4h5m6s7ms`, any of them left out), or a bare `0`. The range is theirs too:
Prometheus (`model.ParseDuration`) and Alertmanager read every duration into a Go
`time.Duration`, nanoseconds in a signed 64-bit integer, and refuse a longer one ("duration
out of range"): about 292 years, `MAX_DURATION`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

DURATION_PATTERN = r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$"
DURATION_MEANING = "a Prometheus duration (like 30s, 5m, 1h, 1d, 1w)"
"""What a duration looks like, in every message refusing one."""

_NANOS = {
    "y": 365 * 86400 * 10**9,
    "w": 7 * 86400 * 10**9,
    "d": 86400 * 10**9,
    "h": 3600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
}
_DURATION_PART = re.compile(r"([0-9]+)(ms|[ywdhms])")

MAX_NANOS = 2**63 - 1
"""The longest Go `time.Duration`, in nanoseconds: the bound of every Prometheus and
Alertmanager duration."""


def format_millis(millis: int) -> str:
    """The shortest Prometheus duration for a whole number of milliseconds (5400000 -> `1h30m`).

    Weeks are the largest unit written; zero and negative spans are `0s`.
    """
    if millis <= 0:
        return "0s"
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


MAX_DURATION = format_millis(MAX_NANOS // 10**6)
"""`MAX_NANOS` as a duration, to the millisecond (`15250w1d23h47m16s854ms`, about 292y)."""


def _nanos(value: str) -> int:
    return sum(int(n) * _NANOS[unit] for n, unit in _DURATION_PART.findall(value))


def check_duration(value: str) -> str:
    """`value` itself if it is a Prometheus duration that Prometheus and Alertmanager accept:
    in the grammar and at most `MAX_DURATION`; ValueError naming it otherwise."""
    if not value or not re.fullmatch(DURATION_PATTERN, value):
        raise ValueError(f"{value!r} is not {DURATION_MEANING}")
    if _nanos(value) > MAX_NANOS:
        raise ValueError(
            f"{value!r} is longer than Prometheus and Alertmanager accept "
            f"(at most {MAX_DURATION}, about 292y)"
        )
    return value


def duration_millis(value: str) -> int:
    """Whole milliseconds in a Prometheus duration (exact); ValueError if it is not one."""
    check_duration(value)
    return _nanos(value) // 10**6


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as `1h30m` or `1w`; ValueError if it is not one."""
    return duration_millis(value) / 1000


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for `seconds`, to the millisecond (5400 -> `1h30m`).

    Weeks are the largest unit written; zero and negative spans are `0s`.
    """
    if seconds <= 0:
        return "0s"
    return format_millis(round(seconds * 1000))


def _check_positive(value: str) -> str:
    if _nanos(value) == 0:
        raise ValueError(f"{value!r}: must be longer than 0s")
    return value


Duration = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN, min_length=1, max_length=32),
    AfterValidator(check_duration),
]
"""A Prometheus duration: `30s`, `5m`, `1h`, `1d`, `1w`, combinations like `1h30m`."""

PositiveDuration = Annotated[Duration, AfterValidator(_check_positive)]
"""A Prometheus duration longer than zero, for the settings Prometheus or Alertmanager refuse
at zero (Alertmanager's group and repeat intervals, a range selector's window)."""

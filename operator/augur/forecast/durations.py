"""Prometheus-style durations (`30s`, `5m`, `1h30m`, `1d`, `1w`) to and from seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_ORDER = ("y", "w", "d", "h", "m", "s")


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as `5m` or `1h30m`; ValueError if malformed."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    total = 0.0
    position = 0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30s, 5m, 1h30m, 1d, 1w)")
    return total


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for a whole number of seconds, e.g. 86400 -> `1d`."""
    remaining = round(seconds)
    if remaining <= 0:
        return "0s"
    parts = []
    for unit in _ORDER:
        size = int(_UNITS[unit])
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)

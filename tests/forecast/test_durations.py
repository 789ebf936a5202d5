"""Prometheus durations to seconds and back."""

from __future__ import annotations

import pytest

from augur.forecast.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1d", 86400), ("1w", 604800), ("250ms", 0.25)],
)
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m5", "5x", "1h 30m", "-5m"])
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(300, "5m"), (86400, "1d"), (90000, "1d1h")])
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text

"""The one duration grammar (Prometheus's): what it accepts, what it refuses and how it says so."""

from __future__ import annotations

import pytest

from augur.api.common import duration_seconds, format_duration
from augur.api.durations import check_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("0s", 0),
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("1d", 86400),
        ("1w", 604800),
        ("1y", 365 * 86400),
        ("250ms", 0.25),
        ("1h0m500ms", 3600.5),
        ("1y2w3d4h5m6s7ms", 365 * 86400 + 17 * 86400 + 4 * 3600 + 5 * 60 + 6.007),
    ],
)
def test_accepted(text: str, seconds: float) -> None:
    assert check_duration(text) == text
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", "5", "m5", "5x", "5M", "1.5h", "-5m", "1h 30m", " 5m", "30m1h", "5m5m", "00", "0.5s"],
)
def test_refused_with_one_message(text: str) -> None:
    for parse in (check_duration, duration_seconds):
        with pytest.raises(ValueError) as caught:
            parse(text)
        assert str(caught.value) == (
            f"{text!r} is not a Prometheus duration (like 30s, 5m, 1h, 1d, 1w)"
        )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (-5, "0s"),
        (0.25, "250ms"),
        (300, "5m"),
        (5400, "1h30m"),
        (86400, "1d"),
        (90000, "1d1h"),
        (604800 + 3600, "1w1h"),
    ],
)
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [1, 59, 60, 3600, 5400, 86400, 604800 + 3600, 2.5])
def test_format_round_trips(seconds: float) -> None:
    assert duration_seconds(format_duration(seconds)) == seconds

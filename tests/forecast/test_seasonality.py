"""Season detection needs a clear peak and two full cycles."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from augur.forecast.seasonality import detect_seasons

DAY = 288
SeriesMaker = Callable[..., np.ndarray]


def test_daily_season_is_found(seasonal: SeriesMaker) -> None:
    assert detect_seasons(seasonal(days=3, noise=5), 300) == (DAY,)


def test_daily_and_weekly_are_found() -> None:
    positions = np.arange(15 * DAY, dtype=np.float64)
    weekend = np.where((positions % (7 * DAY)) >= 5 * DAY, -30.0, 0.0)
    values = 100 + 30 * np.sin(2 * np.pi * positions / DAY) + weekend
    noisy = values + np.random.default_rng(1).normal(0, 3, len(values))
    assert detect_seasons(noisy, 300) == (DAY, 7 * DAY)


def test_random_walk_has_no_season() -> None:
    walk = np.cumsum(np.random.default_rng(2).normal(0, 1, 4000)) + 100
    assert detect_seasons(walk, 300) == ()


def test_white_noise_and_flat_have_no_season() -> None:
    assert detect_seasons(np.random.default_rng(4).normal(0, 1, 3000), 300) == ()
    assert detect_seasons(np.full(3000, 3.0), 300) == ()


def test_non_calendar_period_from_the_periodogram() -> None:
    positions = np.arange(2000, dtype=np.float64)
    values = 10 * np.sin(2 * np.pi * positions / 50) + 50
    assert detect_seasons(values, 300) == (50,)

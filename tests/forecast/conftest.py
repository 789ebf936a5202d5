"""Synthetic series with known answers for the forecasting tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from augur.forecast.series import FloatArray

DAY = 288  # 5-minute steps in a day

SeriesMaker = Callable[..., FloatArray]


def _seasonal(days: int = 6, trend: float = 0.0, noise: float = 0.0, seed: int = 7) -> FloatArray:
    positions = np.arange(days * DAY, dtype=np.float64)
    values = 100 + 20 * np.sin(2 * np.pi * positions / DAY) + trend * positions
    if noise:
        values = values + np.random.default_rng(seed).normal(0, noise, len(values))
    return values


@pytest.fixture
def seasonal() -> SeriesMaker:
    """100 + 20·sin(daily, 288 steps) + trend·t, plus seeded Gaussian noise."""
    return _seasonal


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator."""
    return np.random.default_rng(11)

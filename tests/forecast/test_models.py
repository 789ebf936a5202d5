"""Each model on synthetic series with known answers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from augur.forecast.models import fit_model
from augur.forecast.models.base import TailAware

HORIZON = 12
DAY = 288
SeriesMaker = Callable[..., np.ndarray]


def _forecast(method: str, values: np.ndarray, seasons: tuple[int, ...]) -> np.ndarray:
    model = fit_model(method, values, seasons)
    origin = np.array([len(values)], dtype=np.int64)
    result: np.ndarray = model.paths(values, origin, HORIZON)[0]
    return result


def test_seasonal_naive_repeats_last_cycle_exactly(seasonal: SeriesMaker) -> None:
    values = seasonal(days=3, noise=5)
    predicted = _forecast("seasonal_naive", values, (DAY,))
    np.testing.assert_array_equal(predicted, values[-DAY : -DAY + HORIZON])


def test_seasonal_naive_without_season_is_last_value() -> None:
    values = np.array([3.0, 5.0, 7.0, 4.0] * 10)
    assert set(_forecast("seasonal_naive", values, ()).tolist()) == {4.0}


def test_seasonal_naive_averages_several_seasons() -> None:
    values = np.arange(40, dtype=np.float64)
    predicted = _forecast("seasonal_naive", values, (4, 8))
    assert predicted[0] == pytest.approx((36 + 32) / 2)


@pytest.mark.parametrize(("method", "tolerance"), [("holt_winters", 3.0), ("multi_seasonal", 1.5)])
def test_sine_plus_trend_is_recovered(method: str, tolerance: float, seasonal: SeriesMaker) -> None:
    values = seasonal(days=6, trend=0.01)
    future = seasonal(days=7, trend=0.01)[len(values) : len(values) + HORIZON]
    predicted = _forecast(method, values, (DAY,))
    # a 40-unit daily swing; Holt-Winters' weights are fitted for one step, so it is looser
    np.testing.assert_allclose(predicted, future, atol=tolerance)


@pytest.mark.parametrize("method", ["holt_winters", "multi_seasonal"])
def test_noisy_sine_is_recovered_within_noise(method: str, seasonal: SeriesMaker) -> None:
    values = seasonal(days=6, noise=2)
    future = seasonal(days=7)[len(values) : len(values) + HORIZON]
    predicted = _forecast(method, values, (DAY,))
    assert np.mean(np.abs(predicted - future)) < 2.0


def test_linear_trend_is_extrapolated() -> None:
    values = 5 + 0.5 * np.arange(200, dtype=np.float64)
    predicted = _forecast("linear", values, ())
    np.testing.assert_allclose(predicted, 5 + 0.5 * np.arange(200, 200 + HORIZON), atol=1e-6)


def test_multi_seasonal_fits_daily_and_weekly() -> None:
    week = 7 * DAY
    positions = np.arange(3 * week, dtype=np.float64)
    weekend = np.where((positions % week) >= 5 * DAY, -30.0, 0.0)
    values = 200 + 40 * np.sin(2 * np.pi * positions / DAY) + weekend
    # forecast from six hours into a weekend: the weekly profile must lower it
    cut = 2 * week + 5 * DAY + 72
    model = fit_model("multi_seasonal", values[:cut], (DAY, week))
    predicted = model.paths(values, np.array([cut], dtype=np.int64), HORIZON)[0]
    assert model.seasons == (DAY, week)
    np.testing.assert_allclose(predicted, values[cut : cut + HORIZON], atol=8)


def test_paths_carry_state_over_gaps(seasonal: SeriesMaker) -> None:
    values = seasonal(days=4)
    model = fit_model("holt_winters", values[: 3 * DAY], (DAY,))
    ahead = values.copy()
    ahead[3 * DAY : 3 * DAY + 50] = np.nan
    origins = np.arange(3 * DAY, 4 * DAY - HORIZON, dtype=np.int64)
    paths = model.paths(ahead, origins, HORIZON)
    assert np.all(np.isfinite(paths))
    actual = values[origins[:, None] + np.arange(HORIZON)]
    assert np.max(np.abs(paths - actual)) < 1.0


@pytest.mark.parametrize("method", ["holt_winters", "multi_seasonal"])
def test_a_raw_tail_resumes_from_a_saved_state_with_the_same_numbers(
    method: str, seasonal: SeriesMaker
) -> None:
    values = seasonal(days=4, noise=2)
    model = fit_model(method, values[: 3 * DAY], (DAY,))
    assert isinstance(model, TailAware)
    raw = values.copy()
    raw[3 * DAY + 10] += 500  # a spike cleaning would clip
    raw[3 * DAY + 40] = np.nan
    origins = np.arange(3 * DAY, 4 * DAY - 6, dtype=np.int64)
    tails = np.where(origins % 7 == 0, origins - 3, origins)
    tails[0] = origins[0] - 5  # a stretch reaching back before the training data ends
    resumed = model.paths_with_raw_tails(values, raw, origins, 6, tails)
    for row, origin in enumerate(origins.tolist()):
        view = values.copy()
        view[tails[row] : origin] = raw[tails[row] : origin]
        alone = model.paths(view, np.array([origin], dtype=np.int64), 6)[0]
        np.testing.assert_array_equal(resumed[row], alone)

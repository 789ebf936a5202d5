"""Gaps, counter resets, outliers, flat and short series."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from augur.api.scalingpolicy import ForecastSettings
from augur.forecast.backtest import engine_view, paths_as_engine
from augur.forecast.cleaning import UNJUDGED_TAIL, prepare
from augur.forecast.config import forecast_config
from augur.forecast.engine import forecast
from augur.forecast.models import fit_seasonal_naive
from augur.forecast.seasonality import detect_seasons
from augur.forecast.selection import calibrate_methods
from augur.forecast.series import Series, parse_csv, regularize

DAY = 288
SeriesMaker = Callable[..., np.ndarray]
CONFIG = forecast_config(ForecastSettings(method="auto", step="5m", horizon="30m", history="14d"))


def test_regularize_turns_missing_timestamps_into_gaps() -> None:
    series = regularize([0, 300, 1200, 1500], [1.0, 2.0, 5.0, 6.0], None)
    assert series.step == 300
    np.testing.assert_array_equal(np.isnan(series.values), [False, False, True, True, False, False])


def test_csv_with_empty_values_and_iso_times() -> None:
    times, values = parse_csv("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,\n")
    assert times[1] - times[0] == 300
    assert np.isnan(values[1])


def test_night_gaps_are_filled_from_the_previous_cycle(seasonal: SeriesMaker) -> None:
    values = seasonal(days=5)
    raw = values.copy()
    raw[3 * DAY + 100 : 3 * DAY + 160] = np.nan  # five hours without samples
    prepared = prepare(raw, (DAY,))
    filled = prepared.values[3 * DAY + 100 : 3 * DAY + 160]
    np.testing.assert_allclose(filled, values[3 * DAY + 100 : 3 * DAY + 160], atol=0.5)
    assert not prepared.observed[3 * DAY + 100 : 3 * DAY + 160].any()


def test_counter_reset_artefacts_become_gaps(seasonal: SeriesMaker) -> None:
    raw = seasonal(days=3)
    raw[200] = -5000.0  # a reset turned into a negative rate
    prepared = prepare(raw)
    assert prepared.resets == 1
    assert prepared.values[200] > 50


def test_isolated_spikes_are_clipped_but_seasonal_spikes_kept() -> None:
    positions = np.arange(3 * DAY)
    hourly = np.where(positions % 12 == 0, 60.0, 0.0)  # a cron job every hour
    raw = 30 + hourly + np.random.default_rng(3).normal(0, 1, len(positions))
    raw[500] += 500
    prepared = prepare(raw, (12,))
    assert prepared.values[500] < 100
    assert prepared.values[12 * 30] > 80


def test_flat_series_forecasts_the_constant() -> None:
    series = Series(0.0, 300.0, np.full(3 * DAY, 7.0))
    result = forecast(series, CONFIG)
    assert result.healthy
    assert {p.value for p in result.points} == {7.0}
    assert result.peak == 7.0


def test_too_little_history_says_so() -> None:
    series = Series(0.0, 300.0, np.arange(20, dtype=np.float64))
    result = forecast(series, CONFIG)
    assert not result.healthy
    assert result.reason == "InsufficientHistory"
    assert result.points == ()


def test_series_shorter_than_two_cycles_has_no_season(seasonal: SeriesMaker) -> None:
    values = seasonal(days=1)[: int(1.5 * DAY)]
    assert DAY not in detect_seasons(values, 300)
    result = forecast(
        Series(0.0, 300.0, values), forecast_config(ForecastSettings(seasonality=["1d"]))
    )
    assert result.healthy
    assert result.reason == "SeasonsIgnored"
    assert result.model is not None and result.model.seasonality == ()


def test_stale_series_is_unhealthy(seasonal: SeriesMaker) -> None:
    values = seasonal(days=3)
    values[-20:] = np.nan
    result = forecast(Series(0.0, 300.0, values), CONFIG)
    assert (result.healthy, result.reason) == (False, "StaleData")


def test_scrape_failures_do_not_break_the_forecast(seasonal: SeriesMaker) -> None:
    values = seasonal(days=4, noise=1)
    values[np.random.default_rng(5).random(len(values)) < 0.1] = np.nan
    result = forecast(Series(0.0, 300.0, values), CONFIG)
    assert result.healthy
    assert all(np.isfinite([p.upper for p in result.points]))


def test_latest_points_are_kept_as_observed() -> None:
    # a smooth daily cycle: the edge baseline (the last full window's median) lags the ramp
    positions = np.arange(3 * DAY + 80)
    raw = (
        100
        + 80 * np.sin(2 * np.pi * positions / DAY)
        + np.random.default_rng(5).normal(0, 0.2, len(positions))
    )
    raw[-1] += 40  # the load jumps at the latest sample: a spike or the start of a rise
    prepared = prepare(raw, (DAY,))
    np.testing.assert_array_equal(prepared.values[-UNJUDGED_TAIL:], raw[-UNJUDGED_TAIL:])
    # the same jump once points after it are known back at the level is clipped
    later = np.concatenate([raw, raw[-1:] - 40 + np.zeros(UNJUDGED_TAIL + 1)])
    assert prepare(later, (DAY,)).values[len(raw) - 1] < raw[-1] - 20


def test_backtest_sees_spikes_as_the_engine_does() -> None:
    positions = np.arange(4 * DAY)
    raw = 30 + np.random.default_rng(4).normal(0, 1, len(positions))
    spike = 3 * DAY
    raw[spike] += 500
    cleaned = engine_view(raw, (12,))
    assert cleaned[spike] < 100  # known points after it: clipped, as the engine re-cleans
    hourly = fit_seasonal_naive(raw[: 2 * DAY], (12,))
    later = np.array([spike + 12], dtype=np.int64)  # one season on, it must not replay
    assert paths_as_engine(hourly, raw, cleaned, later, 1)[0, 0] < 100
    last_value = fit_seasonal_naive(raw[: 2 * DAY], ())
    at_once = np.array([spike + 1, spike + UNJUDGED_TAIL + 1], dtype=np.int64)
    right_after = paths_as_engine(last_value, raw, cleaned, at_once, 1)[:, 0]
    assert right_after[0] == raw[spike]  # the latest point is not judged yet
    assert right_after[1] < 100


def test_prepared_keeps_the_samples_as_they_came() -> None:
    raw = 50 + np.random.default_rng(8).normal(0, 1, 400)
    raw[100], raw[200], raw[300] = 900.0, -5.0, np.nan  # a spike, a counter reset, a gap
    prepared = prepare(raw)
    assert prepared.values[100] < 100  # clipped for the models
    assert prepared.unclipped[100] == 900.0  # but it was load all the same
    assert np.isnan(prepared.unclipped[200]) and np.isnan(prepared.unclipped[300])
    known = np.isfinite(prepared.unclipped)
    np.testing.assert_array_equal(prepared.unclipped[known], raw[known])


def test_selection_scores_held_out_forecasts_as_the_engine_makes_them() -> None:
    # a random walk (the last value is the best guess) with isolated spikes: the engine keeps
    # its latest points unclipped, so repeating the last value repeats each spike for a while,
    # and the spikes are load the replicas had to serve; hindsight cleaning hid both
    rng = np.random.default_rng(3)
    walk = 200 + np.cumsum(rng.normal(0, 1, 1200))
    raw = walk + np.where(rng.random(len(walk)) < 0.02, 500.0, 0.0)
    methods = ("seasonal_naive", "holt_winters")
    spiky = calibrate_methods(prepare(raw), (), 6, 0.9, methods)
    calm = calibrate_methods(prepare(walk), (), 6, 0.9, methods)
    last_value, smoothed = spiky["seasonal_naive"].accuracy, spiky["holt_winters"].accuracy
    assert last_value.mase > 5 * calm["seasonal_naive"].accuracy.mase  # the spikes count
    assert last_value.mase > 1.5 * smoothed.mase  # and repeating them costs
    assert smoothed.relative_mae < 0.8  # a bounded update beats persistence on such load

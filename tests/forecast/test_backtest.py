"""The rolling-origin backtest: refits see only the past; auto re-selects on its own cadence."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from augur.forecast.backtest import BacktestSettings, rolling_forecasts
from augur.forecast.cleaning import prepare
from augur.forecast.selection import calibrate_methods
from augur.forecast.series import Series

SeriesMaker = Callable[..., np.ndarray]
DAY = 288


def _settings(**changes: object) -> BacktestSettings:
    base = {"horizon": 6, "quantile": 0.9, "history": 3 * DAY, "refit_every": 48, "start": 3 * DAY}
    return BacktestSettings(**{**base, **changes})  # type: ignore[arg-type]


def test_auto_keeps_its_choice_between_selections(seasonal: SeriesMaker) -> None:
    # the series turns from a daily cycle to a straight ramp half a day into the replay:
    # selecting at every refit follows it, selecting once keeps the first choice all along
    values = seasonal(days=5, noise=0.5)
    turn = 3 * DAY + DAY // 2
    values[turn:] = values[turn] + 0.5 * np.arange(len(values) - turn)
    series = Series(0.0, 300.0, values)
    every = rolling_forecasts(series, _settings(), ("auto",))["auto"]
    once = rolling_forecasts(series, _settings(reselect_every=10 * DAY), ("auto",))["auto"]
    assert len(set(once.chosen)) == 1
    assert len(set(every.chosen)) > 1
    assert once.chosen[0] == every.chosen[0]
    # a kept choice is still refitted on the latest history at every refit
    assert len(once.fit_seconds) == len(every.fit_seconds) == len(once.chosen)


def test_forecasts_use_only_the_past(seasonal: SeriesMaker) -> None:
    values = seasonal(days=4, noise=0.5)
    series = Series(0.0, 300.0, values)
    changed = values.copy()
    changed[3 * DAY + 100 :] += 1000  # the future changes; forecasts made before it must not
    first = rolling_forecasts(series, _settings(), ("holt_winters",))["holt_winters"]
    second = rolling_forecasts(Series(0.0, 300.0, changed), _settings(), ("holt_winters",))
    rows = slice(0, 96)  # origins up to 3 days + 96 steps: fitted on data before the change
    np.testing.assert_array_equal(first.point[rows], second["holt_winters"].point[rows])


def test_progress_counts_every_refit(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=4, noise=0.5))
    seen: list[tuple[int, int]] = []
    rolling_forecasts(
        series, _settings(), ("linear",), lambda done, total: seen.append((done, total))
    )
    total = len(range(3 * DAY, 4 * DAY, 48))
    assert seen == [(done, total) for done in range(total + 1)]


def test_methods_calibrated_together_are_those_calibrated_alone(seasonal: SeriesMaker) -> None:
    # sharing a model's fits between the methods that use it changes no forecast
    prepared = prepare(seasonal(days=3, noise=2), (DAY,))
    methods = ("auto", "holt_winters", "ensemble", "linear")
    together = calibrate_methods(prepared, (DAY,), 6, 0.9, methods)
    origin = np.array([len(prepared.values)], dtype=np.int64)
    for method in methods:
        alone = calibrate_methods(prepared, (DAY,), 6, 0.9, (method,))[method]
        shared = together[method]
        assert shared.chosen == alone.chosen
        assert shared.accuracy == alone.accuracy
        np.testing.assert_array_equal(shared.intervals.upper, alone.intervals.upper)
        np.testing.assert_array_equal(
            shared.model.paths(prepared.values, origin, 6),
            alone.model.paths(prepared.values, origin, 6),
        )
        assert shared.seconds > 0


def test_another_quantile_comes_from_the_same_held_out_errors(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=4, noise=2))
    both = rolling_forecasts(series, _settings(other_quantiles=(0.8,)), ("auto",))["auto"]
    alone = rolling_forecasts(series, _settings(quantile=0.8), ("auto",))["auto"]
    np.testing.assert_array_equal(both.upper_at[0.8], alone.upper)
    assert np.nanmean(both.upper_at[0.8]) < np.nanmean(both.upper)

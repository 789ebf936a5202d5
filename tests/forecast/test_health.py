"""Whether a forecast steers: its floor judged on held-out data against the reactive HPA."""

from __future__ import annotations

import dataclasses

import numpy as np

from augur.api.scalingpolicy import ForecastSettings
from augur.forecast.backtest import BacktestSettings, rolling_forecasts
from augur.forecast.config import (
    FloorCheck,
    ForecastConfig,
    ReplicaBounds,
    ScaleDown,
    ScaleUp,
    ScalingRules,
    forecast_config,
)
from augur.forecast.engine import forecast
from augur.forecast.replay import HpaBehaviour, floor_misses
from augur.forecast.series import Series

DAY = 288


def _rules(capacity: float) -> ScalingRules:
    return ScalingRules(
        per_replica_capacity=capacity,
        replicas=ReplicaBounds(min=1, max=1000),
        headroom=0.0,
        scale_up=ScaleUp(10),
        scale_down=ScaleDown(2, 300),
    )


def _config(capacity: float | None, **forecast: object) -> ForecastConfig:
    config = forecast_config(ForecastSettings.model_validate(forecast))
    if capacity is None:
        return config
    return dataclasses.replace(config, floor_check=FloorCheck(_rules(capacity), 120, 300))


def _walk() -> np.ndarray:
    return 1000 + np.cumsum(np.random.default_rng(3).normal(0, 5, 6 * DAY))


def test_floor_misses_counts_the_steps_a_floor_saves() -> None:
    load = np.array([10, 10, 50, 50, 10, 10], dtype=np.float64)
    peaks = np.array([10, 50, 50, 50, 10, np.nan])
    behaviour = HpaBehaviour(startup=120, stabilization_window=0)
    # the reactive HPA is one step late on the rise; the floor raised at step 1 serves at 2
    assert floor_misses(load, peaks, 300, _rules(10), behaviour) == (1, 0)
    assert floor_misses(load, np.full(6, np.nan), 300, _rules(10), behaviour) == (1, 1)


def test_a_floor_that_cuts_misses_steers_though_the_point_is_no_closer_than_the_last_value() -> (
    None
):
    # a random walk: a daily copy is a far worse point forecast than the last value, but its
    # calibrated upper quantile still catches the rises the reactive HPA is late for
    settings = {"method": "seasonalNaive", "seasonality": ["1d"]}
    judged_by_point = forecast(Series(0.0, 300.0, _walk()), _config(None, **settings))
    assert (judged_by_point.healthy, judged_by_point.reason) == (False, "PoorAccuracy")
    judged_by_floor = forecast(Series(0.0, 300.0, _walk()), _config(5.0, **settings))
    assert (judged_by_floor.healthy, judged_by_floor.reason) == (True, "Fitted")


def test_a_floor_that_buys_nothing_sets_none() -> None:
    # one replica serves the whole load: the reactive HPA never under-provisions, so a floor
    # could only cost replicas
    result = forecast(Series(0.0, 300.0, _walk()), _config(1_000_000.0))
    assert (result.healthy, result.reason) == (False, "NoGainOverReactive")
    assert "the reactive HPA alone 0" in result.message
    assert "0.9 quantile" in result.message
    assert np.isnan(result.peak_within(1))
    assert result.points  # the forecast is still reported


def test_the_backtest_judges_each_refit_as_the_engine_does() -> None:
    series = Series(0.0, 300.0, _walk())
    base = BacktestSettings(horizon=6, quantile=0.9, history=4 * DAY, refit_every=48, start=4 * DAY)
    for capacity, healthy in ((5.0, 1.0), (1_000_000.0, 0.0)):
        check = FloorCheck(_rules(capacity), 120, 300)
        settings = dataclasses.replace(base, floor_check=check)
        run = rolling_forecasts(series, settings, ("holt_winters",))["holt_winters"]
        assert set(run.healthy.tolist()) == {healthy}
        engine = forecast(
            series.head(4 * DAY),
            dataclasses.replace(
                _config(None, method="holtWinters", history="4d"), floor_check=check
            ),
        )
        assert engine.healthy == bool(healthy)

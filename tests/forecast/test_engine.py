"""The engine end to end: selection, intervals with honest coverage, status fields."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from augur.api.scalingpolicy import ForecastSettings
from augur.forecast.config import ForecastConfig, forecast_config
from augur.forecast.engine import forecast
from augur.forecast.intervals import calibrate
from augur.forecast.series import Series

SeriesMaker = Callable[..., np.ndarray]


def config(**forecast: object) -> ForecastConfig:
    """The engine settings of a ScalingPolicy's `spec.forecast` (the model's defaults elsewhere)."""
    return forecast_config(ForecastSettings.model_validate(forecast))


def test_auto_forecast_carries_status_fields(seasonal: SeriesMaker) -> None:
    series = Series(1_700_000_000.0, 300.0, seasonal(days=5, noise=2))
    result = forecast(series, config(method="auto", quantile=0.9))
    assert result.healthy
    assert len(result.points) == 6
    assert result.points[0].t == series.time_at(len(series))
    assert all(p.lower <= p.value <= p.upper for p in result.points)
    assert result.peak == max(p.upper for p in result.points)
    assert result.model is not None and result.model.seasonality == (86400.0,)
    assert result.model.training_points == len(series)
    assert result.accuracy is not None and result.accuracy.mase < 1


@pytest.mark.parametrize(
    "method", ["seasonalNaive", "holtWinters", "multiSeasonal", "linear", "ensemble"]
)
def test_every_method_forecasts(method: str, seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=3, noise=1))
    result = forecast(series, config(method=method))
    assert result.healthy, result.message
    assert np.isfinite(result.peak)


def test_selected_method_skips_selection(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=3, noise=1))
    result = forecast(series, config(), selected_method="linear")
    assert result.model is not None and result.model.method == "linear"


def test_conformal_intervals_cover_the_asked_quantile(rng: np.random.Generator) -> None:
    calibration = rng.normal(0, 1, (2000, 3))
    intervals = calibrate(calibration, 0.9, 3)
    fresh = rng.normal(0, 1, (20000, 3))
    _, upper = intervals.apply(np.zeros((20000, 3)))
    assert abs(np.mean(fresh <= upper) - 0.9) < 0.02
    assert np.all(np.diff(intervals.upper) >= 0)


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValidationError, match="method"):
        config(method="prophet")


def test_a_forecast_no_better_than_the_last_value_is_unhealthy() -> None:
    # a random walk: repeating the last value is the best forecast; a daily copy is far worse
    walk = 1000 + np.cumsum(np.random.default_rng(3).normal(0, 5, 6 * 288))
    settings = config(method="seasonalNaive", seasonality=["1d"])
    result = forecast(Series(0.0, 300.0, walk), settings)
    assert (result.healthy, result.reason) == (False, "PoorAccuracy")
    assert result.accuracy is not None
    assert math.isnan(result.peak_within(1))


def test_peak_within_uses_the_first_steps(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=4, noise=1))
    result = forecast(series, config(method="holtWinters"))
    assert result.peak_within(1) == result.points[0].upper
    assert result.peak_within(6) == result.peak


def test_a_selected_combination_is_refitted_as_such(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=3, noise=1))
    result = forecast(series, config(), selected_method="holt_winters+multi_seasonal")
    assert result.healthy, result.message
    assert result.model is not None and result.model.method == "holt_winters+multi_seasonal"


def test_an_unknown_part_of_a_combination_is_rejected(seasonal: SeriesMaker) -> None:
    series = Series(0.0, 300.0, seasonal(days=3, noise=1))
    with pytest.raises(ValueError, match="prophet"):
        forecast(series, config(), selected_method="holt_winters+prophet")

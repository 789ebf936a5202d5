"""The engine behind ScalingPolicy: history in, forecast with intervals (or a reason) out."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from augur.forecast.backtest import min_training_points
from augur.forecast.cleaning import fill_gaps, prepare
from augur.forecast.config import ForecastConfig
from augur.forecast.health import FloorVerdict, judge_floor
from augur.forecast.recommend import peak_within
from augur.forecast.seasonality import MIN_CYCLES, detect_seasons
from augur.forecast.selection import (
    MAX_RELATIVE_MAE,
    Accuracy,
    calibrate_methods,
    calibration_window,
)
from augur.forecast.series import FloatArray, Series


@dataclass(frozen=True)
class ForecastPoint:
    """One forecast step (status `forecast.points[]`)."""

    t: float
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class ModelInfo:
    """What was fitted (status `model`); seasons in seconds."""

    method: str
    seasonality: tuple[float, ...]
    fitted_at: float
    training_points: int


@dataclass(frozen=True)
class AccuracyInfo:
    """Held-out accuracy (status `accuracy`); `window` in seconds."""

    mase: float
    smape: float
    coverage: float
    window: float


@dataclass(frozen=True)
class ForecastResult:
    """A forecast, or the reason there is none (`healthy` False: the HPA stays reactive)."""

    healthy: bool
    reason: str
    message: str
    points: tuple[ForecastPoint, ...] = ()
    peak: float = math.nan
    """Highest upper-quantile value over the horizon: what replicas are provisioned for."""
    peak_at: float = math.nan
    model: ModelInfo | None = None
    accuracy: AccuracyInfo | None = None

    def peak_within(self, steps: int) -> float:
        """Highest upper quantile over the first `steps` steps: what a floor set now carries.

        Use `recommend.lead_steps` for `steps`; NaN when the forecast is unhealthy.
        """
        if not self.healthy:
            return math.nan
        return peak_within([p.upper for p in self.points], steps)


def _unhealthy(reason: str, message: str) -> ForecastResult:
    return ForecastResult(False, reason, message)


def _trailing_gap(values: FloatArray) -> int:
    known = np.flatnonzero(np.isfinite(values))
    return len(values) - 1 - int(known[-1]) if len(known) else len(values)


def forecast(
    series: Series, config: ForecastConfig, *, selected_method: str | None = None
) -> ForecastResult:
    """Forecast the `config.horizon` after the last point of `series` (NaN = missing).

    `series.step` must equal `config.step`. For `auto`, `selected_method` reuses an earlier
    selection (model selection may run less often than the refit). Too little history, a
    stale series, or a forecast whose floor did no better on held-out data than the reactive
    HPA alone (`health.judge_floor`; without scaling rules in `config`, a point forecast no
    better than repeating the last value) give an unhealthy result with the reason.
    """
    if not math.isclose(series.step, config.step):
        raise ValueError(f"series step {series.step}s differs from config step {config.step}s")
    horizon = config.horizon_steps
    window = series.window(len(series) - config.history_steps, len(series))
    raw = window.values
    observed = int(np.isfinite(raw).sum())
    needed = min_training_points(horizon)
    if observed < needed:
        return _unhealthy(
            "InsufficientHistory", f"{observed} samples; the forecast needs at least {needed}"
        )
    if _trailing_gap(raw) > horizon:
        return _unhealthy("StaleData", f"no sample in the last {_trailing_gap(raw)} steps")
    seasons = config.season_steps() or detect_seasons(fill_gaps(raw), config.step)
    trusted = tuple(s for s in seasons if MIN_CYCLES * s <= len(raw))
    prepared = prepare(raw, trusted)
    method = config.method
    if method == "auto" and selected_method:
        method = selected_method
    result = calibrate_methods(prepared, trusted, horizon, config.quantile, (method,))[method]
    accuracy = result.accuracy
    origin = len(raw)
    point = result.model.paths(prepared.values, np.array([origin], dtype=np.int64), horizon)[0]
    lower, upper = result.intervals.apply(point)
    if not np.all(np.isfinite(upper)):
        return _unhealthy("ModelFailed", f"{result.chosen} produced non-finite values")
    times = [window.time_at(origin + k) for k in range(horizon)]
    points = tuple(
        ForecastPoint(t, float(v), float(lo), float(hi))
        for t, v, lo, hi in zip(times, point, lower, upper, strict=True)
    )
    peak_index = int(np.argmax(upper))
    info = ModelInfo(
        result.chosen,
        tuple(s * config.step for s in trusted),
        window.time_at(origin - 1),
        observed,
    )
    held_out = calibration_window(len(raw), horizon) * config.step
    report = AccuracyInfo(accuracy.mase, accuracy.smape, accuracy.coverage, held_out)
    verdict = judge_floor(result, config.floor_check, config.step)
    healthy, reason, message = _health(accuracy, verdict, config.quantile, seasons, trusted)
    return ForecastResult(
        healthy, reason, message, points, float(upper[peak_index]), times[peak_index], info, report
    )


def _health(
    accuracy: Accuracy,
    verdict: FloorVerdict,
    quantile: float,
    seasons: tuple[int, ...],
    trusted: tuple[int, ...],
) -> tuple[bool, str, str]:
    if not verdict.sets_floor and not verdict.judged:
        return (
            False,
            "PoorAccuracy",
            f"held-out error {accuracy.relative_mae:.2f} times that of repeating the last value"
            f" (at least {MAX_RELATIVE_MAE:g}): the forecast adds nothing to the reactive HPA",
        )
    if not verdict.sets_floor:
        return (
            False,
            "NoGainOverReactive",
            f"on held-out data a floor at the {quantile:g} quantile under-provisions "
            f"{verdict.floor_misses} steps, the reactive HPA alone {verdict.reactive_misses}: "
            "it would cost replicas and buy nothing",
        )
    dropped = sorted(set(seasons) - set(trusted))
    if dropped:
        return True, "SeasonsIgnored", f"fewer than {MIN_CYCLES} cycles of seasons {dropped} steps"
    return True, "Fitted", "forecast fitted"

"""Rolling-origin backtest over a whole trace: refit periodically, forecast at every step."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from augur.forecast.cleaning import fill_gaps, prepare
from augur.forecast.config import FloorCheck
from augur.forecast.health import judge_floor
from augur.forecast.metrics import coverage, mase, naive_scale, smape
from augur.forecast.models import IntArray
from augur.forecast.seasonality import detect_seasons
from augur.forecast.selection import calibrate_methods, paths_as_engine
from augur.forecast.series import FloatArray, Series

MIN_TRAINING_POINTS = 24
"""The fewest observed points the engine fits on, whatever the horizon."""


def min_training_points(horizon: int) -> int:
    """The fewest observed points needed to fit, hold out four horizons and still learn."""
    return max(MIN_TRAINING_POINTS, 8 * horizon)


@dataclass(frozen=True)
class BacktestSettings:
    """What to replay: horizon, quantile and history in steps; `seasons` None = detect."""

    horizon: int
    quantile: float
    history: int
    refit_every: int
    start: int
    seasons: tuple[int, ...] | None = None
    reselect_every: int | None = None
    """How often `auto` selects its model again (at least `refit_every`: at the first refit of
    each such period); between selections a refit fits and calibrates the model chosen last,
    as the engine does with `selected_method`. None: at every refit."""
    other_quantiles: tuple[float, ...] = ()
    """Quantiles whose upper bounds are kept as well (`MethodRun.upper_at`), from the same
    held-out errors: what replaying another quantile needs, without refitting anything."""
    floor_check: FloorCheck | None = None
    """The scaling rules each refit's floor is judged by before it steers, as the engine
    judges it (`health.judge_floor`); None judges the point forecast alone."""


@dataclass
class MethodRun:
    """One method's forecasts made at every origin from `start` on (NaN where none was made)."""

    method: str
    origins: IntArray
    point: FloatArray
    lower: FloatArray
    upper: FloatArray
    healthy: FloatArray
    """1 where the refit's forecasts may set a floor (`health.judge_floor`), else 0 (an
    unhealthy forecast steers nothing)."""
    fit_seconds: list[float] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    upper_at: dict[float, FloatArray] = field(default_factory=dict)
    """Upper bounds for `BacktestSettings.other_quantiles`, shaped like `upper`."""
    healthy_at: dict[float, FloatArray] = field(default_factory=dict)
    """`healthy` for the floors of `BacktestSettings.other_quantiles`."""


@dataclass(frozen=True)
class MethodScore:
    """Accuracy of one method over the whole replay."""

    method: str
    mase: float
    smape: float
    coverage: float
    fit_ms: float
    """Median processor time of one fit with calibration (the cost of a refit)."""


def default_start(size: int, history: int, horizon: int) -> int:
    """First origin: a third of the trace, at most one history window, at least the minimum."""
    return min(size - horizon, max(min_training_points(horizon), min(size // 3, history)))


Progress = Callable[[int, int], None]
"""Called after each refit with (refits done, refits in all)."""


def rolling_forecasts(
    series: Series,
    settings: BacktestSettings,
    methods: tuple[str, ...],
    progress: Progress | None = None,
) -> dict[str, MethodRun]:
    """Forecasts of every method at every origin; each refit sees only the data before it."""
    size, horizon = len(series), settings.horizon
    origins = np.arange(settings.start, size, dtype=np.int64)
    shape = (len(origins), horizon)
    runs = {
        m: MethodRun(
            m,
            origins,
            np.full(shape, np.nan),
            np.full(shape, np.nan),
            np.full(shape, np.nan),
            np.zeros(len(origins)),
            upper_at={q: np.full(shape, np.nan) for q in settings.other_quantiles},
            healthy_at={q: np.zeros(len(origins)) for q in settings.other_quantiles},
        )
        for m in methods
    }
    reselect = settings.reselect_every or settings.refit_every
    auto_choice: str | None = None  # what auto selected last, reused until the next selection
    refits = range(settings.start, size, settings.refit_every)
    for done, refit in enumerate(refits):
        if progress is not None:
            progress(done, len(refits))
        begin = max(0, refit - settings.history)
        raw = series.values[begin:refit]
        if np.isfinite(raw).sum() < min_training_points(horizon):
            continue
        seasons = settings.seasons
        if seasons is None:
            seasons = detect_seasons(fill_gaps(raw), series.step)
        seasons = tuple(s for s in seasons if 2 * s <= len(raw))
        prepared = prepare(raw, seasons)
        block = np.arange(refit, min(size, refit + settings.refit_every), dtype=np.int64)
        ahead = series.values[begin : block[-1] + 1]
        cleaned = engine_view(ahead, seasons)
        rows = block - settings.start
        selecting = (refit - settings.start) % reselect < settings.refit_every
        asked = {
            method: auto_choice
            if method == "auto" and not selecting and auto_choice is not None
            else method
            for method in methods
        }
        # every method in one call: a model two methods use is fitted once
        fitted = calibrate_methods(
            prepared, seasons, horizon, settings.quantile, tuple(dict.fromkeys(asked.values()))
        )
        forecasts: dict[str, FloatArray] = {}  # by what was fitted: auto's choice is a method too
        for method in methods:
            result = fitted[asked[method]]
            if asked[method] == "auto":
                auto_choice = result.chosen
            run = runs[method]
            run.fit_seconds.append(result.seconds)
            run.chosen.append(result.chosen)
            if result.chosen not in forecasts:
                forecasts[result.chosen] = paths_as_engine(
                    result.model, ahead, cleaned, block - begin, horizon
                )
            point = forecasts[result.chosen]
            lower, upper = result.intervals.apply(point)
            run.point[rows], run.lower[rows], run.upper[rows] = point, lower, upper
            check = settings.floor_check
            run.healthy[rows] = float(judge_floor(result, check, series.step).sets_floor)
            for quantile, bound in run.upper_at.items():
                bound[rows] = result.intervals_at(quantile).apply(point)[1]
                verdict = judge_floor(result, check, series.step, quantile)
                run.healthy_at[quantile][rows] = float(verdict.sets_floor)
    if progress is not None:
        progress(len(refits), len(refits))
    return runs


def engine_view(raw: FloatArray, seasons: tuple[int, ...]) -> FloatArray:
    """`raw` cleaned as the engine cleans its history (outliers clipped), NaN where missing.

    The engine re-cleans its whole history at every evaluation, so a spike is clipped once
    the points after it are known; running the models over raw values instead replayed
    one-off spikes a season later. Gaps stay NaN (the models carry their state over them):
    filling them here would look ahead.
    """
    return prepare(raw, seasons).cleaned_observed


def actual_paths(series: Series, origins: IntArray, horizon: int) -> FloatArray:
    """Observed values at origin + k (NaN when missing or past the end)."""
    index = origins[:, None] + np.arange(horizon)[None, :]
    padded = np.concatenate([series.values, np.full(horizon, np.nan)])
    result: FloatArray = padded[index]
    return result


def score(series: Series, run: MethodRun, scale: float) -> MethodScore:
    """MASE (with the given scale), sMAPE and upper-quantile coverage over made forecasts."""
    actual = actual_paths(series, run.origins, run.point.shape[1])
    made = np.isfinite(run.point)
    actual = np.where(made, actual, np.nan)
    fit_ms = float(np.median(run.fit_seconds)) * 1000 if run.fit_seconds else math.nan
    return MethodScore(
        run.method,
        mase(actual, run.point, scale),
        smape(actual, run.point),
        coverage(actual, run.upper),
        fit_ms,
    )


def trace_scale(series: Series, start: int) -> float:
    """The MASE scale: in-sample seasonal-naive error before the first origin."""
    train = fill_gaps(series.values[:start])
    seasons = detect_seasons(train, series.step)
    return naive_scale(series.values[:start], seasons[0] if seasons else 1)

"""Model selection and calibration by rolling-origin backtest on the recent history."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from augur.forecast.cleaning import UNJUDGED_TAIL, Prepared
from augur.forecast.intervals import Intervals, calibrate
from augur.forecast.metrics import coverage, mase, naive_scale, smape
from augur.forecast.models import FITTERS, FittedModel, IntArray, fit_model
from augur.forecast.models.base import TailAware
from augur.forecast.series import FloatArray

SINGLE_METHODS = tuple(FITTERS)
ENSEMBLE_PARTS = ("holt_winters", "multi_seasonal")
CALIBRATION_SHARE = 4
"""The last 1/this of the history (at least four horizons) is held out to score and calibrate."""
MAX_RELATIVE_MAE = 1.0
"""A held-out error at least that of repeating the last value (what a reactive HPA acts on)
means the forecast adds nothing: it is unhealthy and recommends nothing."""


@dataclass
class Combination:
    """The mean of several fitted models' forecasts."""

    parts: list[FittedModel]
    method: str
    seasons: tuple[int, ...]
    end: int

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        total = sum(
            (part.paths(values, origins, horizon) for part in self.parts),
            start=np.zeros((len(origins), horizon)),
        )
        result: FloatArray = total / len(self.parts)
        return result

    def paths_with_raw_tails(
        self,
        cleaned: FloatArray,
        raw: FloatArray,
        origins: IntArray,
        horizon: int,
        tails: IntArray,
    ) -> FloatArray:
        total = sum(
            (_with_raw_tails(part, cleaned, raw, origins, horizon, tails) for part in self.parts),
            start=np.zeros((len(origins), horizon)),
        )
        result: FloatArray = total / len(self.parts)
        return result


@dataclass(frozen=True)
class Accuracy:
    """How the model did on the held-out recent history."""

    mase: float
    smape: float
    coverage: float
    points: int
    """Number of held-out steps scored."""
    relative_mae: float = math.nan
    """Held-out mean absolute error over that of persistence (the last observed value
    repeated over the horizon) on the same forecasts: below 1, the forecast knows more about
    the coming load than the current load does."""


def skilful(accuracy: Accuracy) -> bool:
    """Whether the held-out forecasts beat persistence (unknown skill counts as skilful)."""
    return not accuracy.relative_mae >= MAX_RELATIVE_MAE


@dataclass
class Calibrated:
    """A model fitted on the whole history, with intervals from its held-out errors."""

    method: str
    """The method asked for (`auto` keeps its name here)."""
    chosen: str
    """What was fitted: a single method, or parts joined by `+` for a combination."""
    model: FittedModel
    intervals: Intervals
    accuracy: Accuracy
    residuals: FloatArray
    """Held-out errors (actual - forecast, shape (origins, horizon)) the intervals come from."""
    held_out_load: FloatArray
    """The load at each held-out origin as it came (NaN where missing)."""
    held_out_point: FloatArray
    """The held-out point forecasts, shape (origins, horizon); with `intervals`, the floor
    this model would have set there."""
    seconds: float = 0.0
    """Processor seconds this method costs calibrated on its own: its fits (those it shares
    with other methods of the same call counted in full), scoring and calibration."""

    def intervals_at(self, quantile: float) -> Intervals:
        """Intervals for another quantile from the same held-out errors (no refit)."""
        return calibrate(self.residuals, quantile, self.residuals.shape[1])


def calibration_window(size: int, horizon: int) -> int:
    """Number of trailing points held out for scoring and calibration."""
    return min(size // 2, max(4 * horizon, size // CALIBRATION_SHARE))


@dataclass
class _Holdout:
    values: FloatArray  # the history as cleaned, NaN where missing
    unclipped: FloatArray  # the observed samples as they came, NaN where missing
    origins: IntArray
    actual: FloatArray
    scale: float
    persistence: FloatArray  # the last value before each origin, repeated over the horizon


def _holdout(prepared: Prepared, seasons: tuple[int, ...], horizon: int) -> _Holdout:
    """The held-out origins, scored as the backtest scores the engine's forecasts.

    The forecasts are made from the history as the engine would have cleaned it at each
    origin (`paths_as_engine`) and scored against the load as it came, not as cleaning with
    hindsight left it: a clipped spike is still load the replicas had to serve, and a model
    that repeats an unclipped latest spike (persistence does) must pay for it here too.
    """
    size = len(prepared.values)
    window = calibration_window(size, horizon)
    origins = np.arange(size - window, size - horizon + 1, dtype=np.int64)
    actual = prepared.unclipped[origins[:, None] + np.arange(horizon)[None, :]]
    train = prepared.values[: size - window]
    scale = naive_scale(train, seasons[0] if seasons else 1)
    # what the HPA saw last: the sample as it came, or the filled value where it is missing
    seen = prepared.unclipped
    last = np.where(np.isfinite(seen), seen, prepared.values)[origins - 1]
    persistence = np.repeat(last[:, None], horizon, axis=1)
    return _Holdout(
        prepared.cleaned_observed, prepared.unclipped, origins, actual, scale, persistence
    )


def paths_as_engine(
    model: FittedModel, raw: FloatArray, cleaned: FloatArray, origins: IntArray, horizon: int
) -> FloatArray:
    """Forecasts at `origins` from the history the engine would see at each of them.

    That is `cleaned` up to `UNJUDGED_TAIL` steps before the origin and `raw` after: the
    engine does not clip its latest points, and whether they are outliers depends on points
    not yet known. Only origins with a clipped point in that tail need their own run.
    """
    clipped = (np.isfinite(raw) & (cleaned != raw)).astype(np.int64)
    counts = np.concatenate([[0], np.cumsum(clipped)])
    first = np.maximum(origins - UNJUDGED_TAIL, 0)
    tails = np.where(counts[origins] > counts[first], first, origins)
    return _with_raw_tails(model, cleaned, raw, origins, horizon, tails)


def _with_raw_tails(
    model: FittedModel,
    cleaned: FloatArray,
    raw: FloatArray,
    origins: IntArray,
    horizon: int,
    tails: IntArray,
) -> FloatArray:
    """`TailAware.paths_with_raw_tails` for any model: stateful ones resume from a saved
    state; the others (vectorised over origins) run each tailed origin on its own."""
    if isinstance(model, TailAware):
        return model.paths_with_raw_tails(cleaned, raw, origins, horizon, tails)
    point = model.paths(cleaned, origins, horizon)
    for row in np.flatnonzero(tails < origins).tolist():
        origin = int(origins[row])
        view = cleaned.copy()
        view[tails[row] : origin] = raw[tails[row] : origin]
        point[row] = model.paths(view, np.array([origin], dtype=np.int64), horizon)[0]
    return point


def _mae(actual: FloatArray, predicted: FloatArray) -> float:
    known = np.isfinite(actual)
    return float(np.mean(np.abs(actual[known] - predicted[known]))) if known.any() else math.inf


def _relative_mae(actual: FloatArray, predicted: FloatArray, persistence: FloatArray) -> float:
    model, naive = _mae(actual, predicted), _mae(actual, persistence)
    if not math.isfinite(model) or not math.isfinite(naive):
        return math.nan
    if naive == 0:
        return 0.0 if model == 0 else math.inf
    return model / naive


def _components(method: str) -> tuple[str, ...]:
    """The single models a method fits: `auto` all, `ensemble` its parts, `a+b` (what auto
    chose earlier, reused until the next selection) a and b."""
    if method == "auto":
        return SINGLE_METHODS
    if method == "ensemble":
        return ENSEMBLE_PARTS
    parts = tuple(method.split("+"))
    unknown = [part for part in parts if part not in SINGLE_METHODS]
    if len(parts) > 1 and unknown:
        raise ValueError(f"unknown models {unknown} in combination {method!r}")
    return parts


def calibrate_methods(
    prepared: Prepared,
    seasons: tuple[int, ...],
    horizon: int,
    quantile: float,
    methods: tuple[str, ...],
) -> dict[str, Calibrated]:
    """Fit, score on the held-out tail and calibrate each method (sharing the fits).

    The held-out forecasts are those the engine would have made at each origin, scored
    against the observed load (see `_holdout`); selection, health and intervals all use them.

    `auto` picks the single method, or the mean of the two best, with the lowest held-out
    mean absolute error; the winner is then refitted on the whole history. Each single model
    is fitted once on the held-out split and once on the whole history, whichever methods use
    it, so calibrating several methods together costs what calibrating their parts does.
    """
    started = time.process_time()
    needed = sorted({part for method in methods for part in _components(method)})
    holdout = _holdout(prepared, seasons, horizon)
    train = prepared.values[: holdout.origins[0]] if len(holdout.origins) else prepared.values
    shared = time.process_time() - started
    held: dict[str, FloatArray] = {}
    costs: dict[str, float] = {}
    for name in needed:
        started = time.process_time()
        model = fit_model(name, train, seasons)
        held[name] = paths_as_engine(
            model, holdout.unclipped, holdout.values, holdout.origins, horizon
        )
        costs[name] = time.process_time() - started
    whole: dict[str, FittedModel] = {}  # each part fitted on the whole history, once
    results = {}
    for method in methods:
        started = time.process_time()
        parts = _choose(method, held, holdout.actual)
        predicted = sum((held[p] for p in parts), start=np.zeros_like(holdout.actual)) / len(parts)
        refits = 0.0
        for part in parts:
            if part not in whole:
                begun = time.process_time()
                whole[part] = fit_model(part, prepared.values, seasons)
                costs[f"whole:{part}"] = time.process_time() - begun
                refits += costs[f"whole:{part}"]
        fitted = [whole[part] for part in parts]
        result = _finish(method, parts, fitted, predicted, prepared, holdout, quantile)
        own = time.process_time() - started - refits
        result.seconds = own + shared + sum(costs[part] for part in _components(method))
        result.seconds += sum(costs[f"whole:{part}"] for part in parts)
        results[method] = result
    return results


def _choose(method: str, held: dict[str, FloatArray], actual: FloatArray) -> tuple[str, ...]:
    if method != "auto":
        return _components(method)
    ranked = sorted(SINGLE_METHODS, key=lambda name: _mae(actual, held[name]))
    best, second = ranked[0], ranked[1]
    pair = (held[best] + held[second]) / 2
    return (best, second) if _mae(actual, pair) < _mae(actual, held[best]) else (best,)


def _finish(
    method: str,
    parts: tuple[str, ...],
    fitted: list[FittedModel],
    predicted: FloatArray,
    prepared: Prepared,
    holdout: _Holdout,
    quantile: float,
) -> Calibrated:
    horizon = predicted.shape[1]
    residuals = holdout.actual - predicted
    intervals = calibrate(residuals, quantile, horizon)
    _, upper = intervals.apply(predicted)
    accuracy = Accuracy(
        mase=mase(holdout.actual, predicted, holdout.scale),
        smape=smape(holdout.actual, predicted),
        coverage=coverage(holdout.actual, upper),
        points=int(np.isfinite(holdout.actual[:, 0]).sum()),
        relative_mae=_relative_mae(holdout.actual, predicted, holdout.persistence),
    )
    model: FittedModel = (
        fitted[0]
        if len(fitted) == 1
        else Combination(fitted, "+".join(parts), fitted[0].seasons, len(prepared.values))
    )
    return Calibrated(
        method,
        "+".join(parts),
        model,
        intervals,
        accuracy,
        residuals,
        holdout.actual[:, 0],
        predicted,
    )

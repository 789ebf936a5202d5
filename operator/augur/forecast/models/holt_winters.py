"""Additive Holt-Winters with an optional damped trend, fitted by a small grid search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.models.base import (
    ERROR_CLIP,
    FittedModel,
    IntArray,
    robust_scale,
    tail_starts,
)
from augur.forecast.series import FloatArray

ALPHAS = (0.05, 0.15, 0.3, 0.5, 0.8)
GAMMAS = (0.05, 0.2)
TRENDS = ((0.0, 1.0), (0.02, 0.98))
"""(beta, phi): no trend, or a slowly updated trend damped so it fades over the horizon."""


@dataclass(frozen=True)
class Params:
    """Smoothing weights of level, trend and season, and the trend's damping."""

    alpha: float
    beta: float
    gamma: float
    phi: float


@dataclass
class _State:
    level: float
    trend: float
    season: list[float]
    """Seasonal terms indexed by absolute position modulo the season length."""


def _initial_state(values: list[float], season: int, trended: bool) -> _State:
    """Level, trend and seasonal terms from a line through (up to) the first two cycles."""
    span = min(len(values), 2 * season if season > 1 else 2)
    positions = np.arange(span, dtype=np.float64)
    slope, intercept = np.polyfit(positions, values[:span], 1) if span > 1 else (0.0, values[0])
    start = max(season, 1)
    level = float(intercept + slope * (start - 1))
    trend = float(slope) if trended else 0.0
    if season <= 1:
        return _State(values[0] if not trended else level, trend, [0.0])
    residual = np.asarray(values[:span]) - (intercept + slope * positions)
    if not trended:
        level = float(np.mean(values[:span]))
        residual = np.asarray(values[:span]) - level
    cycles = residual[: span // season * season].reshape(-1, season).mean(axis=0)
    return _State(level, trend, (cycles - cycles.mean()).tolist())


def _run(
    values: list[float], params: Params, state: _State, begin: int, end: int, limit: float
) -> float:
    """Advance `state` over values[begin:end] in place; returns the sum of squared errors."""
    alpha, beta, gamma, phi = params.alpha, params.beta, params.gamma, params.phi
    level, trend, season = state.level, state.trend, state.season
    size = len(season)
    sse = 0.0
    for index in range(begin, end):
        value = values[index]
        phase = index % size
        expected = level + phi * trend
        if value != value:  # missing: carry the state without an update
            level, trend = expected, phi * trend
            continue
        error = value - expected - season[phase]
        # limited here rather than by a helper call: this loop is hot
        if limit and not -limit <= error <= limit:
            error = limit if error > 0 else -limit
        sse += error * error
        level = expected + alpha * error
        trend = phi * trend + beta * error
        season[phase] += gamma * error
    state.level, state.trend = level, trend
    return sse


def _forecast(state: _State, params: Params, origin: int, horizon: int) -> list[float]:
    size = len(state.season)
    result = []
    damping = 0.0
    factor = 1.0
    for step in range(horizon):
        factor *= params.phi
        damping += factor
        phase = (origin + step) % size
        result.append(state.level + damping * state.trend + state.season[phase])
    return result


@dataclass
class HoltWinters:
    """A fitted Holt-Winters model and its state at `end`."""

    params: Params
    state: _State
    seasons: tuple[int, ...]
    end: int
    limit: float
    method: str = "holt_winters"

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        data = values.tolist()
        state = _State(self.state.level, self.state.trend, list(self.state.season))
        position = self.end
        rows = []
        for origin in origins.tolist():
            _run(data, self.params, state, position, origin, self.limit)
            position = origin
            rows.append(_forecast(state, self.params, origin, horizon))
        return np.asarray(rows, dtype=np.float64).reshape(len(origins), horizon)

    def paths_with_raw_tails(
        self,
        cleaned: FloatArray,
        raw: FloatArray,
        origins: IntArray,
        horizon: int,
        tails: IntArray,
    ) -> FloatArray:
        data, raw_data = cleaned.tolist(), raw.tolist()
        state = _copy(self.state)
        starts = tail_starts(tails, origins, self.end)
        saved: dict[int, _State] = {}  # the state over `cleaned` where a raw stretch begins
        position, next_start = self.end, 0
        rows = []
        for origin, tail in zip(origins.tolist(), tails.tolist(), strict=True):
            while next_start < len(starts) and starts[next_start] <= origin:
                _run(data, self.params, state, position, starts[next_start], self.limit)
                position = starts[next_start]
                saved[position] = _copy(state)
                next_start += 1
            _run(data, self.params, state, position, origin, self.limit)
            position = origin
            if tail >= origin:
                rows.append(_forecast(state, self.params, origin, horizon))
                continue
            begin = max(self.end, tail)
            resumed = _copy(saved[begin])
            _run(raw_data, self.params, resumed, begin, origin, self.limit)
            rows.append(_forecast(resumed, self.params, origin, horizon))
        return np.asarray(rows, dtype=np.float64).reshape(len(origins), horizon)


def _copy(state: _State) -> _State:
    return _State(state.level, state.trend, list(state.season))


def _search(data: list[float], season: int, limit: float) -> tuple[Params, _State]:
    """Coordinate search: the level weight first, then the season's, then the trend.

    Returns the chosen weights and the state they leave at the end of `data`; each point of
    the grid is run once (the coordinates revisit the point they start from).
    """
    start = season if season > 1 else 1
    runs: dict[Params, tuple[float, _State]] = {}

    def sse(params: Params) -> float:
        if params not in runs:
            state = _initial_state(data, season, params.beta > 0)
            runs[params] = (_run(data, params, state, start, len(data), limit), state)
        return runs[params][0]

    gamma = GAMMAS[0] if season > 1 else 0.0
    beta, phi = TRENDS[0]
    alpha = min(ALPHAS, key=lambda a: sse(Params(a, beta, gamma, phi)))
    if season > 1:
        gamma = min(GAMMAS, key=lambda g: sse(Params(alpha, beta, g, phi)))
    beta, phi = min(TRENDS, key=lambda t: sse(Params(alpha, t[0], gamma, t[1])))
    chosen = Params(alpha, beta, gamma, phi)
    return chosen, runs[chosen][1]


def fit_holt_winters(values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Fit the weights by one-step squared error, on the shortest season with two cycles."""
    season = next((s for s in seasons if 2 * s <= len(values)), 1)
    data = values.tolist()
    limit = ERROR_CLIP * robust_scale(np.diff(values)) if len(values) > 1 else 0.0
    params, state = _search(data, season, limit)
    used = (season,) if season > 1 else ()
    return HoltWinters(params, state, used, len(data), limit)

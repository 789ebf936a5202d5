"""Multi-seasonal decomposition: seasonal profiles (e.g. daily + weekly) plus a smoothed level."""

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

ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
TRENDS = ((0.0, 1.0), (0.01, 0.98))
PROFILE_SMOOTHING = 8.0
"""Each profile is smoothed over about season / (this × cycles) phases: less data, smoother."""


def _moving_average(values: FloatArray, width: int) -> FloatArray:
    """Centered mean over `width` points; near the edges, over the points that exist."""
    size = len(values)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    centre = np.arange(size)
    low = np.clip(centre - (width - 1) // 2, 0, size)
    high = np.clip(centre + width // 2 + 1, 0, size)
    result: FloatArray = (cumulative[high] - cumulative[low]) / (high - low)
    return result


def _circular_smooth(profile: FloatArray, width: int) -> FloatArray:
    if width <= 1:
        return profile
    half = width // 2
    padded = np.concatenate([profile[-half:], profile, profile[:half]])
    smoothed: FloatArray = np.convolve(padded, np.ones(2 * half + 1) / (2 * half + 1), "valid")
    return smoothed


def seasonal_profiles(values: FloatArray, seasons: tuple[int, ...]) -> list[FloatArray]:
    """One zero-mean profile per season (shortest first), each from what the others leave.

    The profile of a season is the per-phase mean of the series minus its centered moving
    average over that season (which removes the season and everything slower).
    """
    phases = np.arange(len(values))
    profiles = [np.zeros(season) for season in seasons]
    for _ in range(2):  # backfitting: re-estimate each with the others' latest estimates
        for number, season in enumerate(seasons):
            others = sum(
                (
                    p[phases % s]
                    for j, (p, s) in enumerate(zip(profiles, seasons, strict=True))
                    if j != number
                ),
                start=np.zeros(len(values)),
            )
            rest = values - others
            detrended = rest - _moving_average(rest, season)
            # only where the average spans a whole cycle (partial windows are biased)
            full = np.zeros(len(values))
            full[season // 2 : len(values) - (season - 1) // 2] = 1.0
            if np.bincount(phases % season, weights=full, minlength=season).min() == 0:
                full[:] = 1.0
            sums = np.bincount(phases % season, weights=detrended * full, minlength=season)
            counts = np.bincount(phases % season, weights=full, minlength=season)
            profile = sums / np.maximum(counts, 1)
            cycles = len(values) / season
            width = round(season / (PROFILE_SMOOTHING * cycles))
            profile = _circular_smooth(profile - profile.mean(), width | 1)
            profiles[number] = profile - profile.mean()
    return profiles


@dataclass
class _Level:
    """Holt's level and (damped) trend of the deseasonalised series."""

    alpha: float
    beta: float
    phi: float
    level: float
    trend: float = 0.0

    def smooth(self, values: list[float], begin: int, end: int, limit: float) -> float:
        """Advance over values[begin:end] in place; returns the sum of squared errors."""
        alpha, beta, phi = self.alpha, self.beta, self.phi
        level, trend, sse = self.level, self.trend, 0.0
        for index in range(begin, end):
            value = values[index]
            expected = level + phi * trend
            if value != value:
                level, trend = expected, phi * trend
                continue
            error = value - expected
            # limited here rather than by a helper call: this loop is hot
            if limit and not -limit <= error <= limit:
                error = limit if error > 0 else -limit
            sse += error * error
            level = expected + alpha * error
            trend = phi * trend + beta * error
        self.level, self.trend = level, trend
        return sse

    def ahead(self, horizon: int) -> FloatArray:
        """Level plus the damped trend for steps 1..horizon."""
        damping = np.cumsum(self.phi ** np.arange(1, horizon + 1))
        result: FloatArray = self.level + damping * self.trend
        return result


def _search_level(data: list[float], limit: float) -> _Level:
    """The level weight first, then whether a damped trend helps (one-step squared error).

    Returns the chosen level advanced to the end of `data`; each weight is run once.
    """
    runs: dict[tuple[float, float, float], tuple[float, _Level]] = {}

    def sse(alpha: float, beta: float, phi: float) -> float:
        key = (alpha, beta, phi)
        if key not in runs:
            level = _Level(alpha, beta, phi, data[0])
            runs[key] = (level.smooth(data, 1, len(data), limit), level)
        return runs[key][0]

    alpha = min(ALPHAS, key=lambda a: sse(a, 0.0, 1.0))
    beta, phi = min(TRENDS, key=lambda t: sse(alpha, t[0], t[1]))
    return runs[(alpha, beta, phi)][1]


@dataclass
class MultiSeasonal:
    """Seasonal profiles frozen at fit time; the deseasonalised level keeps adapting."""

    profiles: list[FloatArray]
    seasons: tuple[int, ...]
    state: _Level
    end: int
    limit: float
    method: str = "multi_seasonal"

    def seasonal(self, positions: IntArray) -> FloatArray:
        """Sum of the seasonal profiles at absolute positions."""
        total = np.zeros(len(positions))
        for profile, season in zip(self.profiles, self.seasons, strict=True):
            total += profile[positions % season]
        return total

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        return self.paths_with_raw_tails(values, values, origins, horizon, origins)

    def _adjusted(self, values: FloatArray, stop: int) -> list[float]:
        """`values` without the seasonal profiles from `end` up to `stop` (NaN before)."""
        span = np.arange(self.end, stop, dtype=np.int64)
        adjusted = np.full(stop, np.nan)
        adjusted[self.end : stop] = values[self.end : stop] - self.seasonal(span)
        result: list[float] = adjusted.tolist()
        return result

    def paths_with_raw_tails(
        self,
        cleaned: FloatArray,
        raw: FloatArray,
        origins: IntArray,
        horizon: int,
        tails: IntArray,
    ) -> FloatArray:
        stop = int(origins.max()) if len(origins) else self.end
        data = self._adjusted(cleaned, stop)
        starts = tail_starts(tails, origins, self.end)
        raw_data = self._adjusted(raw, stop) if starts else data
        state = _Level(**vars(self.state))
        saved: dict[int, _Level] = {}  # the level over `cleaned` where a raw stretch begins
        position, next_start = self.end, 0
        levels = []
        for origin, tail in zip(origins.tolist(), tails.tolist(), strict=True):
            while next_start < len(starts) and starts[next_start] <= origin:
                state.smooth(data, position, starts[next_start], self.limit)
                position = starts[next_start]
                saved[position] = _Level(**vars(state))
                next_start += 1
            state.smooth(data, position, origin, self.limit)
            position = origin
            if tail >= origin:
                levels.append(state.ahead(horizon))
                continue
            begin = max(self.end, tail)
            resumed = _Level(**vars(saved[begin]))
            resumed.smooth(raw_data, begin, origin, self.limit)
            levels.append(resumed.ahead(horizon))
        ahead = origins[:, None] + np.arange(horizon)[None, :]
        season = self.seasonal(ahead.ravel()).reshape(ahead.shape)
        result: FloatArray = np.asarray(levels).reshape(ahead.shape) + season
        return result


def fit_multi_seasonal(values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Profiles for every season with at least one full cycle; level by one-step error."""
    usable = tuple(sorted(s for s in seasons if s <= len(values)))
    profiles = seasonal_profiles(values, usable) if usable else []
    model = MultiSeasonal(profiles, usable, _Level(ALPHAS[0], 0.0, 1.0, 0.0), 0, 0.0)
    positions = np.arange(len(values), dtype=np.int64)
    adjusted = values - model.seasonal(positions)
    limit = ERROR_CLIP * robust_scale(np.diff(adjusted)) if len(values) > 1 else 0.0
    state = _search_level(adjusted.tolist(), limit)
    return MultiSeasonal(profiles, usable, state, len(values), limit)

"""Multi-seasonal decomposition: seasonal profiles (e.g. daily + weekly) plus a smoothed level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.models.base import ERROR_CLIP, FittedModel, IntArray, robust_scale
from augur.forecast.series import FloatArray

ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
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
            sums = np.bincount(phases % season, weights=detrended, minlength=season)
            counts = np.bincount(phases % season, minlength=season)
            profile = sums / np.maximum(counts, 1)
            cycles = len(values) / season
            width = round(season / (PROFILE_SMOOTHING * cycles))
            profile = _circular_smooth(profile - profile.mean(), width | 1)
            profiles[number] = profile - profile.mean()
    return profiles


def _smooth(
    values: list[float], alpha: float, level: float, begin: int, end: int, limit: float
) -> tuple[float, float]:
    """Exponentially smooth values[begin:end] from `level`; (new level, squared error sum)."""
    sse = 0.0
    for index in range(begin, end):
        value = values[index]
        if value != value:
            continue
        error = value - level
        if limit and not -limit <= error <= limit:  # inline clip_error: this loop is hot
            error = limit if error > 0 else -limit
        sse += error * error
        level += alpha * error
    return level, sse


@dataclass
class MultiSeasonal:
    """Seasonal profiles frozen at fit time; the deseasonalised level keeps adapting."""

    profiles: list[FloatArray]
    seasons: tuple[int, ...]
    alpha: float
    level: float
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
        stop = int(origins.max()) if len(origins) else self.end
        span = np.arange(self.end, stop, dtype=np.int64)
        adjusted = np.full(stop, np.nan)
        adjusted[self.end : stop] = values[self.end : stop] - self.seasonal(span)
        data = adjusted.tolist()
        level, position = self.level, self.end
        levels = []
        for origin in origins.tolist():
            level, _ = _smooth(data, self.alpha, level, position, origin, self.limit)
            position = origin
            levels.append(level)
        ahead = origins[:, None] + np.arange(horizon)[None, :]
        season = self.seasonal(ahead.ravel()).reshape(ahead.shape)
        result: FloatArray = np.asarray(levels)[:, None] + season
        return result


def fit_multi_seasonal(values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Profiles for every season with at least one full cycle; level weight by one-step error."""
    usable = tuple(sorted(s for s in seasons if s <= len(values)))
    profiles = seasonal_profiles(values, usable) if usable else []
    model = MultiSeasonal(profiles, usable, ALPHAS[0], float(values[0]), 0, 0.0)
    positions = np.arange(len(values), dtype=np.int64)
    adjusted = values - model.seasonal(positions)
    data = adjusted.tolist()
    limit = ERROR_CLIP * robust_scale(np.diff(adjusted)) if len(values) > 1 else 0.0
    best: tuple[float, float, float] | None = None
    for alpha in ALPHAS:
        level, sse = _smooth(data, alpha, data[0], 1, len(data), limit)
        if best is None or sse < best[0]:
            best = (sse, alpha, level)
    assert best is not None
    return MultiSeasonal(profiles, usable, best[1], best[2], len(values), limit)

"""Linear trend: least squares over a recent window, extrapolated over the horizon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.models.base import FittedModel, IntArray
from augur.forecast.series import FloatArray

WINDOWS = (6, 12, 24, 48, 96, 192)
"""Candidate window lengths in steps; the fit keeps the one with the lowest error."""


def _line_paths(values: FloatArray, origins: IntArray, horizon: int, window: int) -> FloatArray:
    """Least-squares line over values[origin-window:origin] (gaps skipped), extended ahead."""
    known = np.isfinite(values)
    data = np.where(known, values, 0.0)
    positions = np.arange(len(values), dtype=np.float64)
    weight = known.astype(np.float64)
    sums = [
        np.concatenate([[0.0], np.cumsum(a)])
        for a in (weight, weight * positions, weight * positions**2, data, data * positions)
    ]
    low = np.maximum(origins - window, 0)
    count, sx, sxx, sy, sxy = (s[origins] - s[low] for s in sums)
    variance = count * sxx - sx * sx
    safe = np.where(variance > 0, variance, 1.0)
    slope = np.where(variance > 0, (count * sxy - sx * sy) / safe, 0.0)
    mean_y = np.where(count > 0, sy / np.maximum(count, 1), 0.0)
    mean_x = np.where(count > 0, sx / np.maximum(count, 1), 0.0)
    ahead = origins[:, None] + np.arange(horizon)[None, :]
    result: FloatArray = mean_y[:, None] + slope[:, None] * (ahead - mean_x[:, None])
    return result


@dataclass(frozen=True)
class LinearTrend:
    """A line through the last `window` points, refitted at every origin."""

    window: int
    end: int
    seasons: tuple[int, ...] = ()
    method: str = "linear"

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        return _line_paths(values, origins, horizon, self.window)


def fit_linear(values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Choose the window whose lines best forecast the next 6 steps across the training data."""
    size = len(values)
    horizon = 6
    candidates = [w for w in WINDOWS if w + horizon < size] or [max(2, size - 1)]
    best: tuple[float, int] | None = None
    for window in candidates:
        origins = np.arange(window, size - horizon + 1, dtype=np.int64)
        if not len(origins):
            continue
        predicted = _line_paths(values, origins, horizon, window)
        actual = values[origins[:, None] + np.arange(horizon)[None, :]]
        error = float(np.mean(np.abs(actual - predicted)))
        if best is None or error < best[0]:
            best = (error, window)
    return LinearTrend(best[1] if best else candidates[0], size)

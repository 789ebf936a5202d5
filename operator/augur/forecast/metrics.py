"""Forecast accuracy: MASE, sMAPE and interval coverage, ignoring missing actuals."""

from __future__ import annotations

import math

import numpy as np

from augur.forecast.series import FloatArray


def naive_scale(values: FloatArray, season: int) -> float:
    """Mean absolute in-sample error of the seasonal naive forecast (lag `season`)."""
    lag = season if 0 < season < len(values) else 1
    if len(values) <= lag:
        return math.nan
    errors = np.abs(values[lag:] - values[:-lag])
    errors = errors[np.isfinite(errors)]
    return float(errors.mean()) if len(errors) else math.nan


def mase(actual: FloatArray, predicted: FloatArray, scale: float) -> float:
    """Mean absolute error over `scale`; 0 for a perfect forecast of a flat series."""
    known = np.isfinite(actual)
    if not known.any():
        return math.nan
    error = float(np.mean(np.abs(actual[known] - predicted[known])))
    if not scale > 0:
        return 0.0 if error == 0 else math.inf
    return error / scale


def smape(actual: FloatArray, predicted: FloatArray) -> float:
    """Symmetric mean absolute percentage error as a fraction in [0, 2]; 0/0 counts as 0."""
    known = np.isfinite(actual)
    if not known.any():
        return math.nan
    a, p = actual[known], predicted[known]
    total = np.abs(a) + np.abs(p)
    ratio = np.where(total > 0, 2 * np.abs(a - p) / np.where(total > 0, total, 1), 0.0)
    return float(ratio.mean())


def coverage(actual: FloatArray, upper: FloatArray) -> float:
    """Share of actual values at or below the upper quantile forecast."""
    known = np.isfinite(actual)
    if not known.any():
        return math.nan
    return float(np.mean(actual[known] <= upper[known]))

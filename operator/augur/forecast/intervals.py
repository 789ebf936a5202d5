"""Prediction intervals from out-of-sample errors (split-conformal, per horizon step)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.series import FloatArray


@dataclass(frozen=True)
class Intervals:
    """Offsets added to a point forecast, one per horizon step, for its lower/upper quantile."""

    lower: FloatArray
    upper: FloatArray

    def apply(self, point: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(lower, upper) bands around forecasts of shape (..., horizon)."""
        return point + self.lower, point + self.upper


def _quantile(errors: FloatArray, level: float) -> float:
    known = errors[np.isfinite(errors)]
    if not len(known):
        return 0.0
    # the finite-sample conformal correction: the ceil((n + 1) q)-th smallest error
    adjusted = min(1.0, level * (len(known) + 1) / len(known))
    return float(np.quantile(known, adjusted, method="higher"))


def calibrate(residuals: FloatArray, quantile: float, horizon: int) -> Intervals:
    """Offsets from residuals (actual - forecast, shape (origins, horizon), NaN = unknown).

    The upper offset is the `quantile` of the errors at each step ahead, the lower one the
    `1 - quantile`; both widen monotonically with the step. Without residuals, zero width.
    """
    if residuals.size == 0:
        return Intervals(np.zeros(horizon), np.zeros(horizon))
    upper = np.array([_quantile(residuals[:, k], quantile) for k in range(horizon)])
    lower = np.array([-_quantile(-residuals[:, k], quantile) for k in range(horizon)])
    upper = np.maximum(np.maximum.accumulate(upper), 0.0)
    lower = np.minimum(np.minimum.accumulate(lower), 0.0)
    return Intervals(lower, upper)

"""Seasonal naive: the value one season ago (the mean over several seasons), or the last value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.models.base import FittedModel, IntArray
from augur.forecast.series import FloatArray


@dataclass(frozen=True)
class SeasonalNaive:
    """Forecast for t+k is the latest value at the same phase of each season, averaged."""

    seasons: tuple[int, ...]
    end: int
    method: str = "seasonal_naive"

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        filled = _carry_forward(values)
        steps = np.arange(horizon)
        total = np.zeros((len(origins), horizon))
        for season in self.seasons or (1,):
            # index of the same phase in the last complete cycle before the origin
            back = season * ((steps // season) + 1)
            index = origins[:, None] + steps[None, :] - back[None, :]
            fallback = np.broadcast_to(origins[:, None] - 1, index.shape)
            total += filled[np.where(index >= 0, index, fallback)]
        result: FloatArray = total / max(1, len(self.seasons))
        return result


def _carry_forward(values: FloatArray) -> FloatArray:
    """Missing values take the last known one (a causal fill: no look-ahead)."""
    known = np.isfinite(values)
    if known.all():
        return values
    last = np.maximum.accumulate(np.where(known, np.arange(len(values)), -1))
    first = int(np.argmax(known)) if known.any() else 0
    filled: FloatArray = values[np.where(last >= 0, last, first)]
    return np.nan_to_num(filled)


def fit_seasonal_naive(values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Seasonal naive over every season with at least one full cycle in `values`."""
    usable = tuple(season for season in seasons if season <= len(values))
    return SeasonalNaive(usable, len(values))

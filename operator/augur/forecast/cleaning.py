"""Messy data made fit for a model: resets, outliers, gaps and flat series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.seasonality import seasonal_profile
from augur.forecast.series import BoolArray, FloatArray

OUTLIER_MADS = 6.0
"""A point further than this many robust deviations from its neighbourhood is clipped."""
_NEIGHBOURHOOD = 3
UNJUDGED_TAIL = _NEIGHBOURHOOD
"""The latest points are never clipped: without the points after them, a spike cannot be told
from the start of a rise, and their edge baseline is the median of the last full window, which
lags any ramp (on a smooth daily cycle it clipped the current load in most evaluations)."""


@dataclass(frozen=True)
class Prepared:
    """A complete series for fitting, and what was done to get it."""

    values: FloatArray
    observed: BoolArray
    outliers: int
    resets: int
    flat: bool
    unclipped: FloatArray
    """The observed samples as they came (reset artefacts removed), NaN elsewhere: the load a
    reactive HPA saw, which is what forecasts are scored against."""

    @property
    def cleaned_observed(self) -> FloatArray:
        """The cleaned values where a sample was observed, NaN in the gaps: what the models
        run over (they carry their state across a gap; a filled value would look ahead)."""
        result: FloatArray = np.where(self.observed, self.values, np.nan)
        return result


def prepare(raw: FloatArray, seasons: tuple[int, ...] = ()) -> Prepared:
    """Clean `raw` (NaN = missing): drop reset artefacts, fill gaps, clip outliers.

    Negative values in a series that is otherwise never negative are counter-reset artefacts
    of a rate and become gaps. Gaps are filled linearly, or from the previous cycle when a
    season is known and the gap is long. A point is an outlier when it is far from its
    neighbours in a way the seasons do not explain (a spike every hour is a season); the last
    `UNJUDGED_TAIL` points have no neighbours after them yet and are kept as observed (the
    models bound how far one observation moves them).
    """
    values = np.array(raw, dtype=np.float64)
    observed = np.isfinite(values)
    resets = 0
    if observed.any():
        negative = observed & (values < 0)
        if 0 < negative.sum() <= 0.01 * observed.sum():
            resets = int(negative.sum())
            values[negative] = np.nan
            observed &= ~negative
    unclipped = np.where(observed, values, np.nan)
    if not observed.any():
        return Prepared(np.zeros(len(values)), observed, 0, resets, True, unclipped)
    values = _fill_linear(values, observed)
    if seasons:
        values = _fill_seasonal(values, observed, seasons[0])
    values, outliers = _clip_outliers(values, observed, seasons)
    known = values[observed]
    flat = bool(np.ptp(known) <= 1e-9 * max(1.0, float(np.abs(known).max())))
    return Prepared(values, observed, outliers, resets, flat, unclipped)


def _fill_linear(values: FloatArray, observed: BoolArray) -> FloatArray:
    positions = np.arange(len(values))
    filled: FloatArray = np.interp(positions, positions[observed], values[observed])
    return filled


def rolling_median(values: FloatArray, half_width: int) -> FloatArray:
    """Centered running median; edges use the nearest full window."""
    width = 2 * half_width + 1
    if len(values) < width:
        return np.full(len(values), float(np.median(values)))
    windows = np.lib.stride_tricks.sliding_window_view(values, width)
    middle = np.median(windows, axis=1)
    return np.concatenate([np.full(half_width, middle[0]), middle, np.full(half_width, middle[-1])])


def fill_gaps(raw: FloatArray) -> FloatArray:
    """`raw` with gaps filled linearly (zeros when nothing was observed)."""
    observed = np.isfinite(raw)
    if not observed.any():
        return np.zeros(len(raw))
    return _fill_linear(np.asarray(raw, dtype=np.float64), observed)


def _clip_outliers(
    values: FloatArray, observed: BoolArray, seasons: tuple[int, ...]
) -> tuple[FloatArray, int]:
    baseline = rolling_median(values, _NEIGHBOURHOOD)
    phases = np.arange(len(values))
    for season in seasons:
        baseline = baseline + seasonal_profile(values - baseline, season)[phases % season]
    deviation = values - baseline
    spread = float(np.median(np.abs(deviation[observed]))) * 1.4826
    if spread <= 0:
        spread = float(np.mean(np.abs(deviation[observed])))
    if spread <= 0:
        return values, 0
    limit = OUTLIER_MADS * spread
    judged = np.arange(len(values)) < len(values) - UNJUDGED_TAIL
    outside = observed & judged & (np.abs(deviation) > limit)
    clipped = np.where(outside, baseline + np.clip(deviation, -limit, limit), values)
    return clipped, int(outside.sum())


def _gaps(observed: BoolArray) -> list[tuple[int, int]]:
    """(begin, end) of each run of missing points, end exclusive."""
    edges = np.diff(np.concatenate([[0], (~observed).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _fill_seasonal(values: FloatArray, observed: BoolArray, season: int) -> FloatArray:
    """Long inner gaps take the previous cycle's shape, shifted to meet both gap edges."""
    values = values.copy()
    short = max(2, season // 24)
    for begin, end in _gaps(observed):
        if end - begin <= short or begin - season < 0:
            continue
        cycle = values[begin - season : begin]
        length = end - begin
        pattern = np.resize(cycle, length + 1)  # the last cycle before the gap, repeated
        before = values[begin - 1] - values[begin - 1 - season] if begin > season else 0.0
        after = values[end] - pattern[length] if end < len(values) else before
        ramp = np.linspace(before, after, length + 2)[1:-1]
        values[begin:end] = pattern[:length] + ramp
    return values

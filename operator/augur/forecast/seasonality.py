"""Detecting seasons (daily, weekly, or any strong cycle) by autocorrelation and periodogram."""

from __future__ import annotations

import numpy as np

from augur.forecast.series import FloatArray

MIN_CYCLES = 2
"""A season is trusted only when the history holds at least this many full cycles."""
MIN_AUTOCORRELATION = 0.25
"""Autocorrelation at the season's lag (after removing shorter seasons) needed to accept it."""
MIN_PROMINENCE = 0.1
"""...and this much above the autocorrelation half a cycle away."""
CALENDAR_PERIODS = (3600.0, 86400.0, 604800.0)


def autocorrelation(values: FloatArray, max_lag: int) -> FloatArray:
    """Sample autocorrelation at lags 0..max_lag (via FFT); zeros for a constant series."""
    centered = values - values.mean()
    size = len(centered)
    fft_size = 1 << (2 * size - 1).bit_length()
    spectrum = np.fft.rfft(centered, n=fft_size)
    acov: FloatArray = np.fft.irfft(spectrum * np.conj(spectrum))[: max_lag + 1]
    if acov[0] <= 0:
        return np.zeros(max_lag + 1)
    # normalise each lag by its own number of pairs so long lags are not shrunk towards zero
    pairs = size - np.arange(max_lag + 1)
    result: FloatArray = (acov / pairs) / (acov[0] / size)
    return result


def seasonal_profile(values: FloatArray, season: int) -> FloatArray:
    """Mean deviation of each phase of `season` from the series mean, aligned to index 0."""
    phases = np.arange(len(values)) % season
    sums = np.bincount(phases, weights=values - values.mean(), minlength=season)
    counts = np.bincount(phases, minlength=season)
    profile: FloatArray = sums / np.maximum(counts, 1)
    centered: FloatArray = profile - float(profile.mean())
    return centered


def _detrended(values: FloatArray) -> FloatArray:
    positions = np.arange(len(values), dtype=np.float64)
    slope, intercept = np.polyfit(positions, values, 1)
    result: FloatArray = values - (slope * positions + intercept)
    return result


def _candidates(values: FloatArray, step: float) -> list[int]:
    size = len(values)
    found = {round(period / step) for period in CALENDAR_PERIODS if period / step >= 3}
    power = np.abs(np.fft.rfft(values - values.mean())) ** 2
    if len(power) > 2:
        strongest = int(np.argmax(power[1:])) + 1
        period = round(size / strongest)
        if period >= 3 and not any(abs(period - p) <= 0.05 * p for p in found):
            found.add(period)
    return sorted(p for p in found if size >= MIN_CYCLES * p)


def _is_season(acf: FloatArray, lag: int) -> bool:
    """A clear peak: strong correlation at the lag, well above that at half the lag (anti-phase)."""
    half = lag // 2
    reach = max(1, lag // 12)
    anti_phase = acf[max(1, half - reach) : half + reach + 1]
    return bool(acf[lag] >= MIN_AUTOCORRELATION and acf[lag] - anti_phase.min() >= MIN_PROMINENCE)


def detect_seasons(values: FloatArray, step: float, max_seasons: int = 2) -> tuple[int, ...]:
    """Seasons in steps, shortest first, that the (gap-free) history supports.

    Candidates are the calendar periods (hour, day, week) and the periodogram's strongest
    period. Each is tested, shortest first, on what is left after removing the seasons
    already accepted; it needs two full cycles and a clear autocorrelation peak at its lag.
    """
    if len(values) < 6 or np.ptp(values) == 0:
        return ()
    remainder = _detrended(values)
    accepted: list[int] = []
    for season in _candidates(values, step):
        if len(accepted) >= max_seasons:
            break
        acf = autocorrelation(remainder, season)
        if _is_season(acf, season):
            accepted.append(season)
            profile = seasonal_profile(remainder, season)
            remainder = remainder - profile[np.arange(len(remainder)) % season]
    return tuple(accepted)

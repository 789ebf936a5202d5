"""Forecasting models, each fitted once and then run forward over new data.

`base` says what a fitted model offers; each single model lives in its own module, and
FITTERS below is the one registry of them.
"""

from __future__ import annotations

from collections.abc import Callable

from augur.forecast.models.base import FittedModel, IntArray
from augur.forecast.models.holt_winters import fit_holt_winters
from augur.forecast.models.linear import fit_linear
from augur.forecast.models.multi_seasonal import fit_multi_seasonal
from augur.forecast.models.naive import fit_seasonal_naive
from augur.forecast.series import FloatArray

__all__ = [
    "FITTERS",
    "FittedModel",
    "IntArray",
    "fit_holt_winters",
    "fit_linear",
    "fit_model",
    "fit_multi_seasonal",
    "fit_seasonal_naive",
]

FITTERS: dict[str, Callable[[FloatArray, tuple[int, ...]], FittedModel]] = {
    "seasonal_naive": fit_seasonal_naive,
    "holt_winters": fit_holt_winters,
    "multi_seasonal": fit_multi_seasonal,
    "linear": fit_linear,
}
"""The single models by engine method name (not `auto`/`ensemble`, which combine them)."""


def fit_model(method: str, values: FloatArray, seasons: tuple[int, ...]) -> FittedModel:
    """Fit one of the single models (not `auto`/`ensemble`) on gap-free `values`."""
    if method not in FITTERS:
        raise ValueError(f"no single model named {method!r}")
    return FITTERS[method](values, seasons)

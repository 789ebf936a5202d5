"""Forecasting models, each fitted once and then run forward over new data."""

from __future__ import annotations

from augur.forecast.models.base import FittedModel, IntArray, fit_model
from augur.forecast.models.holt_winters import fit_holt_winters
from augur.forecast.models.linear import fit_linear
from augur.forecast.models.multi_seasonal import fit_multi_seasonal
from augur.forecast.models.naive import fit_seasonal_naive

__all__ = [
    "FittedModel",
    "IntArray",
    "fit_holt_winters",
    "fit_linear",
    "fit_model",
    "fit_multi_seasonal",
    "fit_seasonal_naive",
]

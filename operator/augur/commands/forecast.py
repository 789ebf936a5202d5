"""`augur forecast`: offline forecasting and backtests of workload load."""

from __future__ import annotations

import click


@click.group("forecast")
def forecast_group() -> None:
    """Forecast a workload's load and replay it against scaling policies."""

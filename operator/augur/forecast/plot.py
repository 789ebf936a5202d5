"""Plot of a backtest: actual load, the forecast band and replicas (needs the `plot` extra)."""

from __future__ import annotations

import numpy as np

from augur.forecast.report import TraceReport
from augur.forecast.series import Series


def plot_report(report: TraceReport, series: Series, path: str) -> None:
    """Write a PNG: load vs one-step-ahead forecast and band, and both policies' capacity."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise RuntimeError("--plot needs matplotlib: pip install 'augur-operator[plot]'") from error
    start = report.start
    days = (np.arange(len(series) - start) + start) * series.step / 86400
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(14, 7))
    top.plot(days, series.values[start:], color="black", linewidth=0.6, label="actual")
    top.plot(days, report.run.point[:, 0], color="tab:blue", linewidth=0.6, label="forecast")
    top.fill_between(
        days,
        report.run.lower[:, 0],
        report.run.upper[:, 0],
        color="tab:blue",
        alpha=0.25,
        label="interval",
    )
    top.set_ylabel("load")
    top.legend(loc="upper right")
    top.set_title(f"{report.trace}: {report.run.method}")
    capacity = report.capacity
    bottom.plot(
        days,
        series.values[start:] / capacity,
        color="black",
        linewidth=0.6,
        label="load / capacity",
    )
    bottom.step(days, report.reactive.replicas, color="tab:red", linewidth=0.8, label="reactive")
    bottom.step(days, report.augur.replicas, color="tab:green", linewidth=0.8, label="augur")
    bottom.set_ylabel("ready replicas")
    bottom.set_xlabel("days")
    bottom.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

"""Plot of a backtest: actual load, the forecast band and replicas (needs the `plot` extra)."""

from __future__ import annotations

import datetime
from types import ModuleType

import numpy as np

from augur.forecast.report import TraceReport
from augur.forecast.series import Series

INSTALL_HINT = "--plot needs matplotlib: pip install 'augur-operator[plot]'"


def require_matplotlib() -> ModuleType:
    """matplotlib's pyplot on a file-only backend; RuntimeError saying how to get it if absent.

    Call it before the work whose result is to be plotted, so a missing extra costs nothing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise RuntimeError(INSTALL_HINT) from error
    return plt


def plot_window(
    series: Series, start: int, begin: float | None, end: float | None
) -> tuple[int, int]:
    """Replayed steps [first, last) between epoch seconds `begin` and `end` (None: open).

    Raises ValueError when the window holds none of the replayed steps.
    """
    times = series.start + np.arange(start, len(series)) * series.step
    keep = np.ones(len(times), dtype=bool)
    if begin is not None:
        keep &= times >= begin
    if end is not None:
        keep &= times < end
    if not keep.any():
        first, last = _date(times[0]), _date(times[-1] + series.step)
        raise ValueError(f"the plot window holds no replayed step (they run {first} to {last})")
    chosen = np.flatnonzero(keep)
    return int(chosen[0]), int(chosen[-1]) + 1


def _date(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def plot_report(
    report: TraceReport,
    series: Series,
    path: str,
    quantile: float,
    window: tuple[int, int] | None = None,
) -> None:
    """Write a PNG of the replayed steps in `window` (indices from `plot_window`; None: all).

    Top: the load, the one-step-ahead forecast and its band up to the `quantile` (never below
    zero: no load is). Bottom: ready replicas of the reactive HPA, of the HPA under augur's
    floor and of the equal-cost reactive HPA, against the load in replicas. Dates (UTC) on
    the x axis.
    """
    plt = require_matplotlib()
    import matplotlib.dates as mdates

    first, last = window if window is not None else (0, len(series) - report.start)
    rows = slice(first, last)
    epochs = series.start + (report.start + np.arange(first, last)) * series.step
    when = [datetime.datetime.fromtimestamp(t, datetime.UTC) for t in epochs.tolist()]
    load = series.values[report.start :][rows]
    run = report.run
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(14, 7))
    top.fill_between(
        when,
        np.maximum(run.lower[rows, 0], 0.0),
        np.maximum(run.upper[rows, 0], 0.0),
        color="tab:blue",
        alpha=0.25,
        linewidth=0,
        label=f"band to the {quantile:g} quantile",
    )
    top.plot(when, run.point[rows, 0], color="tab:blue", linewidth=0.8, label="forecast")
    top.plot(when, load, color="black", linewidth=0.6, label="load")
    top.set_ylim(bottom=0)
    top.set_ylabel("load")
    top.legend(loc="lower right")
    top.set_title(f"{report.trace}: {run.method}, one step ahead")
    equal = report.equal_cost
    bottom.plot(
        when,
        load / report.capacity,
        color="black",
        linewidth=0.6,
        label="load / capacity",
    )
    bottom.step(
        when,
        report.reactive.replicas[rows],
        where="post",
        color="tab:red",
        linestyle="--",
        linewidth=1.0,
        label="reactive HPA",
    )
    bottom.step(
        when,
        equal.result.replicas[rows],
        where="post",
        color="tab:purple",
        linestyle=":",
        linewidth=1.2,
        label=f"equal-cost reactive (headroom {equal.headroom:.3f})",
    )
    bottom.step(
        when,
        report.augur.replicas[rows],
        where="post",
        color="tab:green",
        linewidth=1.4,
        label="HPA with augur's floor",
    )
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("ready replicas")
    bottom.set_xlabel("time (UTC)")
    bottom.legend(loc="lower right")
    # matplotlib's date helpers carry no annotations
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_formatter(formatter)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

"""A trace's backtest report: accuracy per method and the scaling replay, as plain data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from augur.forecast.backtest import (
    BacktestSettings,
    MethodRun,
    MethodScore,
    Progress,
    rolling_forecasts,
    score,
    trace_scale,
)
from augur.forecast.config import ScalingRules
from augur.forecast.recommend import lead_steps
from augur.forecast.replay import (
    EqualCost,
    HpaBehaviour,
    ReplayResult,
    equal_cost_reactive,
    replay,
)
from augur.forecast.series import FloatArray, Series

REPLICAS_AT_P95 = 10
"""Without a capacity, one replica serves a tenth of the trace's 95th-percentile load."""


@dataclass(frozen=True)
class TraceReport:
    """Everything `augur forecast backtest` prints or plots."""

    trace: str
    scores: list[MethodScore]
    reactive: ReplayResult
    augur: ReplayResult
    equal_cost: EqualCost
    """The reactive HPA with the uniform headroom that spends augur's replica-hours."""
    start: int
    capacity: float
    run: MethodRun
    """The forecasts of the method that drove the replay."""


def default_capacity(values: FloatArray) -> float:
    """Capacity at which the trace's 95th-percentile load needs REPLICAS_AT_P95 replicas."""
    known = values[np.isfinite(values)]
    p95 = float(np.percentile(known, 95)) if len(known) else 1.0
    return p95 / REPLICAS_AT_P95 if p95 > 0 else 1.0


def replay_peaks(
    run: MethodRun, size: int, start: int, lead: int, quantile: float | None = None
) -> FloatArray:
    """The load the floor set at each step t >= start must carry (NaN: none, or unhealthy).

    That is the highest upper quantile over the first `lead` steps of the forecast made from
    data up to t (see `lead_steps`); forecasts whose floor the engine would not set
    (`MethodRun.healthy`) recommend nothing. `quantile`: one of the run's other quantiles.
    """
    bound = run.upper if quantile is None else run.upper_at[quantile]
    healthy = run.healthy if quantile is None else run.healthy_at[quantile]
    peaks = np.full(size - start, np.nan)
    made = np.all(np.isfinite(bound), axis=1) & (healthy > 0)
    steps = min(max(1, lead), bound.shape[1])
    upper = np.where(made[:, None], bound[:, :steps], -np.inf).max(axis=1)
    # the forecast from history up to t is the one made at origin t + 1
    peaks[:-1] = np.where(made[1:], upper[1:], np.nan)
    return peaks


def backtest_trace(
    trace: str,
    series: Series,
    settings: BacktestSettings,
    methods: tuple[str, ...],
    rules: ScalingRules,
    behaviour: HpaBehaviour,
    driver: str,
    progress: Progress | None = None,
) -> TraceReport:
    """Score `methods` by rolling origin and replay the load with the `driver` method's floor,
    without it, and with the uniform headroom that spends as many replica-hours as it does."""
    ordered = tuple(dict.fromkeys(("seasonal_naive", *methods, driver)))
    runs = rolling_forecasts(series, settings, ordered, progress)
    scale = trace_scale(series, settings.start)
    scores = [score(series, runs[method], scale) for method in ordered]
    load = series.values[settings.start :]
    # augur evaluates once per step in the replay
    lead = lead_steps(behaviour.startup, series.step, series.step)
    peaks = replay_peaks(runs[driver], len(series), settings.start, lead)
    augur = replay(load, series.step, rules, behaviour, peaks)
    return TraceReport(
        trace=trace,
        scores=scores,
        reactive=replay(load, series.step, rules, behaviour),
        augur=augur,
        equal_cost=equal_cost_reactive(load, series.step, rules, behaviour, augur.replica_hours),
        start=settings.start,
        capacity=rules.per_replica_capacity,
        run=runs[driver],
    )


def _number(value: float, digits: int = 4) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def scaling_json(result: ReplayResult) -> dict[str, float | int | None]:
    """One replay's measures as `--output json` writes them under `scaling`."""
    return {
        "under_provisioned_pct": _number(result.under_provisioned_pct, 2),
        "under_replica_hours": _number(result.under_replica_hours, 1),
        "over_replica_hours": _number(result.over_replica_hours, 1),
        "replica_hours": _number(result.replica_hours, 1),
        "actions": result.actions,
    }


def report_json(report: TraceReport) -> dict[str, object]:
    """The `--output json` object."""
    return {
        "trace": report.trace,
        "capacity": _number(report.capacity),
        "methods": [
            {
                "method": s.method,
                "mase": _number(s.mase),
                "smape": _number(s.smape),
                "coverage": _number(s.coverage),
                "fit_ms": _number(s.fit_ms, 1),
            }
            for s in report.scores
        ],
        "scaling": {
            "reactive": scaling_json(report.reactive),
            "augur": scaling_json(report.augur),
            "equal_cost_reactive": {
                "headroom": _number(report.equal_cost.headroom),
                "replica_hours": _number(report.equal_cost.result.replica_hours, 1),
                "under_provisioned_pct": _number(report.equal_cost.result.under_provisioned_pct, 2),
                "under_replica_hours": _number(report.equal_cost.result.under_replica_hours, 1),
            },
        },
    }

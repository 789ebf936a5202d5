"""One ScalingPolicy evaluation, pure: history and cluster facts in; forecast, recommendation,
the change to the HPA, conditions, events, status and metric values out."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from augur.api.common import Cond
from augur.api.scalingpolicy import ScalingPolicySpec
from augur.forecast.config import EngineSettings, ForecastConfig, engine_settings
from augur.forecast.engine import ForecastResult, forecast
from augur.forecast.recommend import (
    PastRecommendation,
    Recommendation,
    lead_steps,
    reactive_replicas,
    recommend_replicas,
)
from augur.forecast.series import Series
from augur.scaling.inputs import FloorHolder, QueryProblem
from augur.scaling.kept import KeptState

RESELECT_EVERY = 86400.0
"""How often (seconds) `auto` selects its method again; between selections each evaluation
refits the method selected last (the backtest's default `--reselect`)."""
PROMETHEUS_GRACE_EVALUATIONS = 3
"""Evaluations in a row Prometheus may fail before a raised minimum is restored: one failed
scrape of the API must not drop a floor set for a coming peak, a lasting outage must not
leave the HPA raised on stale information."""


@dataclass(frozen=True)
class Observed:
    """What the controller read from the cluster and Prometheus for one evaluation."""

    history: Series | QueryProblem
    """The load at `forecast.step` (NaN = missing), or why it could not be read."""
    target_found: bool
    current_replicas: int | None
    """`status.replicas` of the target's scale subresource."""
    holder: FloorHolder | None
    """The HPA (or its KEDA ScaledObject) of `hpaRef`; None if there is none or it is missing."""
    paused: bool = False
    non_finite_samples: int = 0
    """NaN/Inf samples Prometheus returned (already gaps in `history`)."""


@dataclass(frozen=True)
class Forecasting:
    """The forecast half of an evaluation: what the engine said and the replicas it implies."""

    result: ForecastResult | None
    """None when the engine did not run (no target, no history)."""
    problem: QueryProblem | None
    """Why it did not run, or why its forecast must not be used."""
    recommendation: Recommendation | None
    kept: KeptState


_ENGINE_REASONS = {
    "InsufficientHistory": "NotEnoughHistory",
    "PoorAccuracy": "ForecastNoBetterThanNaive",
    "StaleData": "StaleHistory",
}


def condition_reason(result: ForecastResult) -> str:
    """The condition reason of an engine result (engine reasons not named here pass as they are)."""
    return _ENGINE_REASONS.get(result.reason, result.reason)


def selected_for(config: ForecastConfig, kept: KeptState, now: float) -> str | None:
    """The method to reuse instead of selecting again, or None when `auto` must select."""
    if config.method != "auto" or kept.selected_method is None or kept.selected_at is None:
        return None
    if not 0 <= now - kept.selected_at < RESELECT_EVERY:
        return None
    return kept.selected_method


def run_engine(
    series: Series, config: ForecastConfig, kept: KeptState, now: float
) -> tuple[ForecastResult, KeptState]:
    """The engine's forecast of `series` and the selection to keep.

    The one call into the forecast engine. A kept selection the engine no longer knows
    (renamed methods, a hand-edited status) costs a fresh selection, not an error.
    """
    reuse = selected_for(config, kept, now)
    try:
        result = forecast(series, config, selected_method=reuse)
    except ValueError:
        if reuse is None:
            raise
        reuse = None
        result = forecast(series, config)
    if config.method != "auto":
        return result, replace(kept, selected_method=None, selected_at=None)
    if reuse is None and result.model is not None:
        return result, replace(kept, selected_method=result.model.method, selected_at=now)
    return result, kept


def _last_value(series: Series) -> float:
    known = series.values[np.isfinite(series.values)]
    return float(known[-1]) if len(known) else 0.0


def _recommend(
    settings: EngineSettings,
    series: Series,
    result: ForecastResult,
    kept: KeptState,
    now: float,
) -> tuple[Recommendation | None, KeptState]:
    """Replicas for a healthy forecast, exactly as the backtest's replay recommends them."""
    rules = settings.rules
    steps = lead_steps(settings.startup, settings.forecast.step, settings.evaluation_interval)
    load = _last_value(series)
    floor = kept.forecast_floor
    if floor is None:
        floor = reactive_replicas(load, rules)
    recommendation = recommend_replicas(
        peak_upper=result.peak_within(steps),
        current_load=load,
        current_replicas=floor,
        rules=rules,
        now=now,
        history=kept.recent,
    )
    if recommendation is None:
        return None, kept
    recent = (*kept.recent, PastRecommendation(now, recommendation.forecast_replicas))
    return recommendation, replace(
        kept, forecast_floor=recommendation.forecast_floor, recent=recent
    )


def forecast_step(
    spec: ScalingPolicySpec, observed: Observed, kept: KeptState, now: float
) -> Forecasting:
    """The forecast and recommendation of one evaluation, and the state to keep."""
    settings = engine_settings(spec)
    config, rules = settings.forecast, settings.rules
    window_start = now - rules.scale_down.stabilization_window
    kept = replace(kept, recent=tuple(p for p in kept.recent if window_start <= p.at <= now))
    if not observed.target_found:
        target = spec.target_ref
        problem = QueryProblem("TargetNotFound", f"{target.kind} {target.name} does not exist")
        return Forecasting(None, problem, None, kept)
    history = observed.history
    if isinstance(history, QueryProblem):
        failed = kept.failed_queries + 1 if history.transient else 0
        return Forecasting(None, history, None, replace(kept, failed_queries=failed))
    kept = replace(kept, failed_queries=0)
    result, kept = run_engine(history, config, kept, now)
    if not result.healthy:
        return Forecasting(
            result, QueryProblem(condition_reason(result), result.message), None, kept
        )
    recommendation, kept = _recommend(settings, history, result, kept, now)
    return Forecasting(result, None, recommendation, kept)


def forecast_condition(step: Forecasting, observed: Observed) -> Cond:
    """`ForecastHealthy`: whether the forecast may steer replicas, and if not, why."""
    result = step.result
    if result is None and step.problem is not None and step.problem.reason == "TargetNotFound":
        return Cond(
            type="ForecastHealthy",
            status="Unknown",
            reason="NotEvaluated",
            message=f"not evaluated: {step.problem.message}",
        )
    if step.problem is not None:
        return Cond(
            type="ForecastHealthy",
            status="False",
            reason=step.problem.reason,
            message=step.problem.message,
        )
    assert result is not None
    reason, message = condition_reason(result), result.message
    if observed.non_finite_samples:
        reason = "NonFiniteSamplesIgnored"
        message = f"{observed.non_finite_samples} NaN/Inf samples were treated as gaps; {message}"
    return Cond(type="ForecastHealthy", status="True", reason=reason, message=message)

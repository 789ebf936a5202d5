"""The one call a ScalingPolicy controller makes per evaluation: `evaluate_policy`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from augur.api.common import Cond
from augur.api.scalingpolicy import ScalingPolicySpec
from augur.forecast.engine import ForecastResult
from augur.forecast.recommend import Recommendation
from augur.scaling.evaluate import Observed, forecast_condition, forecast_step
from augur.scaling.kept import KeptState
from augur.scaling.notes import Note
from augur.scaling.report import PolicyMetricValues, events, metric_values, status_fields
from augur.scaling.steering import FloorChange, steer


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation decided; the controller only carries it out."""

    forecast: ForecastResult | None
    """The engine's answer; None when it did not run (no target, no history)."""
    recommendation: Recommendation | None
    """Replicas to hold at least; None when the forecast cannot be trusted."""
    change: FloorChange | None
    """The server-side apply to make on the steered object (see `floor_patch`), or None."""
    conditions: tuple[Cond, ...]
    """Ready, ForecastHealthy and Applied, without transition times (merge them)."""
    status: dict[str, Any]
    """The other status fields to merge-patch (None clears a field)."""
    events: tuple[Note, ...]
    metrics: PolicyMetricValues
    kept: KeptState
    """The state the next evaluation starts from (also in `status`)."""


def _ready(problem_reason: str | None, problem_message: str, recommended: int | None) -> Cond:
    if problem_reason is not None:
        return Cond(type="Ready", status="False", reason=problem_reason, message=problem_message)
    message = f"recommending {recommended} replicas" if recommended is not None else "evaluated"
    return Cond(type="Ready", status="True", reason="Evaluated", message=message)


def evaluate_policy(
    spec: ScalingPolicySpec,
    observed: Observed,
    kept: KeptState,
    *,
    now: float,
    generation: int | None = None,
) -> Evaluation:
    """Forecast, recommend and decide the HPA change of one policy at `now` (epoch seconds).

    `kept` is what the previous evaluation left in status (`kept_state_from_status`); with
    it, `auto` reuses its selected method until RESELECT_EVERY has passed, and the floor's
    step limits and stabilization continue where they stopped.
    """
    step = forecast_step(spec, observed, kept, now)
    steering = steer(spec, observed, step)
    problem = step.problem or steering.problem
    recommended = step.recommendation.replicas if step.recommendation else None
    ready = _ready(
        problem.reason if problem else None, problem.message if problem else "", recommended
    )
    conditions = (ready, forecast_condition(step, observed), steering.applied)
    holder = observed.holder
    steered = f"{holder.kind}/{holder.name}" if holder and steering.raised_to else None
    applied: tuple[int, float] | None = None
    if steering.raised_to is not None:
        unchanged = steering.change is None and kept.applied_min == steering.raised_to
        at = kept.applied_at if unchanged and kept.applied_at is not None else now
        applied = (steering.raised_to, at)
    next_kept = replace(
        step.kept,
        steered=steered,
        applied_min=applied[0] if applied else None,
        applied_at=applied[1] if applied else None,
        reasons=tuple((c.type, c.reason) for c in conditions),
    )
    return Evaluation(
        forecast=step.result,
        recommendation=step.recommendation,
        change=steering.change,
        conditions=conditions,
        status={
            "target": f"{spec.target_ref.kind}/{spec.target_ref.name}",
            **status_fields(observed, step, applied, next_kept, generation),
        },
        events=events(conditions, kept, steering.change, holder),
        metrics=metric_values(
            spec.forecast.quantile, observed, step, steering.raised_to, ready, now
        ),
        kept=next_kept,
    )

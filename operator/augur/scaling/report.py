"""What an evaluation tells people and Prometheus: the status fields, the Events and the
values of the operator's scaling metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from augur.api.common import Cond, format_duration
from augur.api.scalingpolicy import (
    Accuracy,
    AppliedReplicas,
    ForecastPoint,
    ForecastSummary,
    ModelInfo,
)
from augur.forecast.config import api_method
from augur.forecast.engine import ForecastResult
from augur.scaling.evaluate import Forecasting, Observed
from augur.scaling.inputs import FloorHolder
from augur.scaling.kept import STATUS_KEY, KeptState, kept_state_to_status, rfc3339
from augur.scaling.notes import Note
from augur.scaling.steering import FloorChange

_QUIET_REASONS = frozenset({"ModeRecommend", "NotEvaluated", "Paused", "NotRaised"})
"""Reasons of a False/Unknown condition that are a choice or a consequence, not a fault."""
_NOTABLE_TRUE_REASONS = frozenset(
    {"HPAMaxBelowReplicasMin", "ClampedToHPAMax", "NonFiniteSamplesIgnored", "HeldThroughOutage"}
)


def quantile_label(quantile: float) -> str:
    """The `quantile` label value of `augur_forecast_value`, written as the scaling dashboard
    writes it (`0.9`, `0.1`, `0.5`: the shortest decimal that reads back as the float)."""
    text = format(Decimal(repr(float(quantile))).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _finite(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def _forecast_fields(result: ForecastResult) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if result.points:
        summary = ForecastSummary(
            peak=_finite(result.peak),
            peak_at=rfc3339(result.peak_at) if math.isfinite(result.peak_at) else None,
            points=[
                ForecastPoint(
                    t=rfc3339(p.t),
                    value=round(p.value, 6),
                    lower=round(p.lower, 6),
                    upper=round(p.upper, 6),
                )
                for p in result.points
            ],
        )
        fields["forecast"] = summary.to_wire()
    if result.model is not None:
        model = result.model
        fields["model"] = ModelInfo(
            method=api_method(model.method),
            seasonality=",".join(format_duration(s) for s in model.seasonality) or None,
            fitted_at=rfc3339(model.fitted_at),
            training_points=model.training_points,
        ).to_wire()
    if result.accuracy is not None:
        accuracy = result.accuracy
        fields["accuracy"] = Accuracy(
            mase=_finite(accuracy.mase),
            smape=_finite(accuracy.smape),
            coverage=_finite(accuracy.coverage),
            window=format_duration(accuracy.window),
        ).to_wire()
    return fields


def status_fields(
    observed: Observed,
    step: Forecasting,
    applied: tuple[int, float] | None,
    kept: KeptState,
    generation: int | None,
) -> dict[str, Any]:
    """The status to merge-patch, conditions aside (merge them to keep transition times).

    Cleared fields are None so a merge patch removes them. When the engine did not run
    (Prometheus or the target missing) `forecast`, `model` and `accuracy` are left out, so
    the last forecast stays visible, with its times, beside a ForecastHealthy=False.
    """
    recommendation = step.recommendation
    fields: dict[str, Any] = {
        "observedGeneration": generation,
        "recommendedReplicas": recommendation.replicas if recommendation else None,
        "currentReplicas": observed.current_replicas,
        "applied": (
            AppliedReplicas(min_replicas=applied[0], at=rfc3339(applied[1])).to_wire()
            if applied is not None
            else None
        ),
        STATUS_KEY: kept_state_to_status(kept),
    }
    if step.result is not None:
        fields.update({"forecast": None, "model": None, "accuracy": None})
        fields.update(_forecast_fields(step.result))
    return fields


def events(
    conditions: Sequence[Cond],
    kept: KeptState,
    change: FloorChange | None,
    holder: FloorHolder | None,
) -> tuple[Note, ...]:
    """The Events of an evaluation: a change of the steered minimum, and a Warning for each
    condition that turned to a fault (once, when its reason changes, never every interval)."""
    notes: list[Note] = []
    if change is not None and holder is not None:
        notes.append(floor_event(change, holder))
    for condition in conditions:
        if kept.reason_of(condition.type) == condition.reason:
            continue
        fault = condition.status != "True" and condition.reason not in _QUIET_REASONS
        if fault or condition.reason in _NOTABLE_TRUE_REASONS:
            note = Note("Warning", condition.reason, condition.message)
            if note not in notes:
                notes.append(note)
    return tuple(notes)


def floor_event(change: FloorChange, holder: FloorHolder) -> Note:
    """The Normal event of a change to the steered minimum."""
    where = f"{holder.kind} {holder.name} {holder.min_field}"
    if change.kind == "Restore":
        return Note(
            "Normal",
            "FloorRestored",
            f"{where} restored from {change.before} to its original {change.min_replicas}",
        )
    verb = "raised" if change.kind == "Raise" else "lowered"
    return Note(
        "Normal",
        "FloorRaised" if change.kind == "Raise" else "FloorLowered",
        f"{where} {verb} from {change.before} to {change.min_replicas}"
        f" (original {change.original})",
    )


@dataclass(frozen=True)
class PolicyMetricValues:
    """One policy's values of the operator's scaling metrics; None: drop that series."""

    recommended_replicas: int | None
    current_replicas: int | None
    applied_min_replicas: int | None
    forecast: tuple[tuple[str, float], ...]
    """(quantile label, forecast at the horizon): the point forecast as 0.5, the upper edge
    as the policy's quantile q, the lower as 1 - q; empty when there is no forecast."""
    healthy: bool
    mase: float | None
    coverage: float | None
    evaluated_at: float
    result: str
    """The Ready reason, as the label of the evaluations counter."""


def metric_values(
    quantile: float,
    observed: Observed,
    step: Forecasting,
    raised_to: int | None,
    ready: Cond,
    now: float,
) -> PolicyMetricValues:
    """The metric values of one evaluation."""
    result = step.result
    forecast: tuple[tuple[str, float], ...] = ()
    if result is not None and result.points:
        last = result.points[-1]
        forecast = (
            (quantile_label(0.5), last.value),
            (quantile_label(quantile), last.upper),
            (quantile_label(round(1 - quantile, 6)), last.lower),
        )
    accuracy = result.accuracy if result is not None else None
    return PolicyMetricValues(
        recommended_replicas=step.recommendation.replicas if step.recommendation else None,
        current_replicas=observed.current_replicas,
        applied_min_replicas=raised_to,
        forecast=forecast,
        healthy=result is not None and result.healthy,
        mase=_finite(accuracy.mase) if accuracy is not None else None,
        coverage=_finite(accuracy.coverage) if accuracy is not None else None,
        evaluated_at=now,
        result=ready.reason,
    )

"""Mode apply: the minimum augur sets on the HPA (or KEDA ScaledObject), and when it gives the
original back. augur only ever raises the minimum above the owner's own value, and restores
that value, recorded in an annotation, whenever its forecast cannot be trusted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from augur.api.common import Cond
from augur.api.scalingpolicy import ReplicaBounds, ScalingPolicySpec
from augur.scaling.evaluate import PROMETHEUS_GRACE_EVALUATIONS as GRACE
from augur.scaling.evaluate import Forecasting, Observed
from augur.scaling.inputs import (
    ORIGINAL_MIN_ANNOTATION,
    PAUSED_ANNOTATION,
    FloorHolder,
    QueryProblem,
)

FIELD_MANAGER = "augur-scaling"
"""The server-side apply field manager that owns the one steered field."""


@dataclass(frozen=True)
class FloorChange:
    """A write to the steered object: set its minimum to `min_replicas`."""

    kind: Literal["Raise", "Lower", "Restore"]
    min_replicas: int
    original: int | None
    """The original minimum to record in ORIGINAL_MIN_ANNOTATION; None on a restore, which
    drops the annotation (augur's field manager stops listing it)."""
    before: int
    """The minimum in force before the change."""


@dataclass(frozen=True)
class Clamped:
    """The floor for a recommendation, and why it differs from it."""

    min_replicas: int
    note: Literal["", "ClampedToHPAMax", "HPAMaxBelowReplicasMin", "AtOrBelowOwnMinimum"]


def clamp_floor(recommended: int, bounds: ReplicaBounds, holder: FloorHolder) -> Clamped:
    """`recommended` within `replicas.min` and the lower of `replicas.max` and the holder's
    max, and never below the owner's own minimum (the recorded original while raised)."""
    own = holder.original_min if holder.original_min is not None else holder.min_replicas
    ceiling = min(bounds.max, holder.max_replicas)
    wanted = max(bounds.min, recommended)
    floor = min(wanted, ceiling)
    note: Literal["", "ClampedToHPAMax", "HPAMaxBelowReplicasMin", "AtOrBelowOwnMinimum"] = ""
    if holder.max_replicas < bounds.min:
        note = "HPAMaxBelowReplicasMin"
    elif floor < wanted and holder.max_replicas < bounds.max:
        note = "ClampedToHPAMax"
    if floor <= own:
        return Clamped(own, note or "AtOrBelowOwnMinimum")
    return Clamped(floor, note)


def raise_floor(holder: FloorHolder, floor: int) -> FloorChange | None:
    """The change that puts the minimum at `floor` (at least the owner's own), or None if it
    is there already. The original is recorded once, when augur first raises it."""
    original = holder.original_min if holder.original_min is not None else holder.min_replicas
    if floor <= original:
        return restore_floor(holder)
    if holder.min_replicas == floor and holder.original_min == original:
        return None
    kind: Literal["Raise", "Lower"] = "Raise" if floor > holder.min_replicas else "Lower"
    return FloorChange(kind, floor, original, holder.min_replicas)


def restore_floor(holder: FloorHolder) -> FloorChange | None:
    """The change that gives the owner its original minimum back, or None if augur has not
    raised it (no recorded original). Called as well when the policy is deleted."""
    if holder.original_min is None:
        return None
    return FloorChange("Restore", holder.original_min, None, holder.min_replicas)


def floor_patch(holder: FloorHolder, change: FloorChange) -> dict[str, Any]:
    """The server-side apply body of `change` (apply it with FIELD_MANAGER and force: another
    manager owns the field). It names only the minimum and augur's annotation, so augur takes
    over that one field and nothing else; a restore writes the recorded value, since dropping
    the field would reset it to the API's default."""
    metadata: dict[str, Any] = {"name": holder.name, "namespace": holder.namespace}
    if change.original is not None:
        metadata["annotations"] = {ORIGINAL_MIN_ANNOTATION: str(change.original)}
    return {
        "apiVersion": holder.api_version,
        "kind": holder.kind,
        "metadata": metadata,
        "spec": {holder.min_field: change.min_replicas},
    }


@dataclass(frozen=True)
class Steering:
    """What mode apply does in one evaluation."""

    change: FloorChange | None
    """The write to make, or None."""
    applied: Cond
    """The `Applied` condition."""
    raised_to: int | None
    """The minimum augur holds raised after the change; None when the owner's own holds."""
    problem: QueryProblem | None = None
    """A problem of the steering itself that makes the policy not Ready (HPANotFound)."""


def _give_back(holder: FloorHolder | None, reason: str, message: str) -> Steering:
    change = restore_floor(holder) if holder is not None else None
    if change is not None and holder is not None:
        message += f"; {holder.min_field} restored to its original {change.min_replicas}"
    condition = Cond(type="Applied", status="False", reason=reason, message=message)
    return Steering(change, condition, None)


def steer(spec: ScalingPolicySpec, observed: Observed, step: Forecasting) -> Steering:
    """The change to the steered minimum, following the rules of mode apply.

    mode recommend, the pause annotation, a missing target and a forecast that cannot be
    trusted give the original back. A Prometheus failure holds a raised minimum for
    PROMETHEUS_GRACE_EVALUATIONS - 1 evaluations, then gives it back too.
    """
    holder = observed.holder
    if spec.mode == "recommend":
        return _give_back(holder, "ModeRecommend", "mode recommend: augur does not change the HPA")
    if holder is None:
        name = spec.hpa_ref.name if spec.hpa_ref is not None else ""
        problem = QueryProblem("HPANotFound", f"HorizontalPodAutoscaler {name} does not exist")
        condition = Cond(
            type="Applied", status="False", reason=problem.reason, message=problem.message
        )
        return Steering(None, condition, None, problem)
    if observed.paused:
        return _give_back(holder, "Paused", f'the policy carries {PAUSED_ANNOTATION}: "true"')
    recommendation = step.recommendation
    if recommendation is None:
        return _without_recommendation(holder, step)
    clamped = clamp_floor(recommendation.replicas, spec.replicas, holder)
    change = raise_floor(holder, clamped.min_replicas)
    raised = change.min_replicas if change is not None else holder.min_replicas
    own = holder.original_min if holder.original_min is not None else holder.min_replicas
    message = (
        f"{holder.kind} {holder.name} {holder.min_field} {clamped.min_replicas}"
        f" for {recommendation.replicas} recommended replicas (its own minimum {own},"
        f" its max {holder.max_replicas}, replicas {spec.replicas.min}-{spec.replicas.max})"
    )
    condition = Cond(
        type="Applied", status="True", reason=clamped.note or "Applied", message=message
    )
    return Steering(change, condition, raised if raised > own else None)


def _without_recommendation(holder: FloorHolder, step: Forecasting) -> Steering:
    problem = step.problem or QueryProblem("NoRecommendation", "the forecast gave no replicas")
    failed = step.kept.failed_queries
    if problem.transient and holder.original_min is not None and failed < GRACE:
        message = (
            f"{holder.min_field} held at {holder.min_replicas} through {failed} failed"
            f" evaluation(s) of {GRACE}: {problem.message}"
        )
        condition = Cond(type="Applied", status="True", reason="HeldThroughOutage", message=message)
        return Steering(None, condition, holder.min_replicas)
    return _give_back(
        holder, "NotRaised", f"no trusted forecast ({problem.reason}): the HPA scales reactively"
    )

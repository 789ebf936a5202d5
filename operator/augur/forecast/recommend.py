"""Replica recommendation: the forecast's upper-quantile peak as a floor under the HPA."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from augur.forecast.config import ScalingRules


@dataclass(frozen=True)
class PastRecommendation:
    """A recommendation made earlier, at epoch seconds `at`, before step limits."""

    at: float
    replicas: int


@dataclass(frozen=True)
class Recommendation:
    """Replicas to hold at least, and why."""

    replicas: int
    forecast_replicas: int
    """ceil(peak × (1 + headroom) / capacity), before clamps, steps and the reactive floor."""
    reactive_replicas: int
    """What the reactive HPA asks for from the current load."""
    reason: str


def reactive_replicas(load: float, rules: ScalingRules) -> int:
    """ceil(load / capacity) within the replica bounds: the reactive HPA's choice."""
    needed = math.ceil(max(0.0, load) / rules.per_replica_capacity - 1e-9)
    return rules.replicas.clamp(needed)


def recommend_replicas(
    *,
    peak_upper: float | None,
    current_load: float,
    current_replicas: int,
    rules: ScalingRules,
    now: float,
    history: Sequence[PastRecommendation] = (),
) -> Recommendation | None:
    """Replicas for the upper-quantile `peak_upper` over the horizon; None if no forecast.

    With no (healthy) forecast there is no recommendation: the HPA stays reactive. Otherwise
    the forecast replicas are stabilised (scaling down uses the highest recommendation of the
    window in `history`), limited to `scaleUp.maxStep` / `scaleDown.maxStep` from
    `current_replicas` (the minimum augur set last), never below the reactive choice, and
    clamped to the bounds.
    """
    if peak_upper is None or not math.isfinite(peak_upper):
        return None
    capacity = rules.per_replica_capacity
    wanted = math.ceil(max(0.0, peak_upper) * (1 + rules.headroom) / capacity - 1e-9)
    reactive = reactive_replicas(current_load, rules)
    target, reason = wanted, "forecast"
    window_start = now - rules.scale_down.stabilization_window
    recent = [past.replicas for past in history if window_start <= past.at <= now]
    if target < current_replicas and recent and max(recent) > target:
        target, reason = min(max(recent), current_replicas), "stabilization window"
    if target > current_replicas + rules.scale_up.max_step:
        target, reason = current_replicas + rules.scale_up.max_step, "scaleUp.maxStep"
    if target < current_replicas - rules.scale_down.max_step:
        target, reason = current_replicas - rules.scale_down.max_step, "scaleDown.maxStep"
    if target < reactive:
        target, reason = reactive, "reactive load"
    clamped = rules.replicas.clamp(target)
    if clamped != target:
        reason = "replicas.min" if clamped > target else "replicas.max"
    return Recommendation(clamped, wanted, reactive, reason)

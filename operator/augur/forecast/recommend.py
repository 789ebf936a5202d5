"""Replica recommendation: the forecast's upper quantile as a floor under the HPA."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from augur.forecast.config import ScalingRules

if TYPE_CHECKING:  # the ScalingPolicy status read at startup needs no numpy
    from augur.forecast.series import FloatArray


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
    forecast_floor: int
    """The forecast replicas after stabilization, step limits and bounds, before the reactive
    floor: what the next recommendation's step limits start from."""


def lead_steps(startup: float, step: float, evaluation_interval: float) -> int:
    """Forecast steps a floor set now is answerable for (at least one).

    Replicas asked for now serve after `startup`; the floor stays until the next evaluation
    (`evaluation_interval` later), whose own replicas serve one start-up after that. Until
    then only this floor stands between the load and the reactive HPA's lag, and a lower
    floor takes effect at once, so it must carry every step up to that point: start-up plus
    scaling lag, the API's lower bound for the horizon.
    """
    startup_steps = math.ceil(startup / step - 1e-9) if startup > 0 else 0
    evaluations = max(1, round(evaluation_interval / step))
    return max(1, startup_steps + evaluations - 1)


def peak_within(upper: Sequence[float] | FloatArray, steps: int) -> float:
    """Highest upper-quantile value over the first `steps` forecast steps (NaN if none)."""
    window = [float(value) for value in upper[: max(1, steps)]]
    if not window or not all(math.isfinite(value) for value in window):
        return math.nan
    return max(window)


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
    """Replicas for the upper-quantile load `peak_upper`; None if there is no forecast.

    `peak_upper` is the highest upper-quantile forecast over the steps the floor is
    answerable for (`peak_within(upper, lead_steps(...))`). With no (healthy) forecast there
    is no recommendation: the HPA stays reactive. Otherwise the forecast replicas are
    stabilised (scaling down uses the highest recommendation of the window in `history`),
    limited to `scaleUp.maxStep` / `scaleDown.maxStep` from `current_replicas` (the
    `forecast_floor` of the previous recommendation), clamped to the bounds, and finally never
    below the reactive choice. The step limits apply to the forecast's own floor: a load spike
    the reactive HPA answers is not held by augur after the HPA lets it go.
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
    floor = rules.replicas.clamp(target)
    if floor != target:
        reason = "replicas.min" if floor > target else "replicas.max"
    if floor < reactive:
        return Recommendation(reactive, wanted, reactive, "reactive load", floor)
    return Recommendation(floor, wanted, reactive, reason, floor)

"""Replaying a trace as a workload's load: a reactive HPA, with and without augur's floor,
and with the uniform headroom that costs what the floor costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from augur.forecast.config import ScalingRules
from augur.forecast.recommend import PastRecommendation, reactive_replicas, recommend_replicas
from augur.forecast.series import FloatArray


@dataclass(frozen=True)
class HpaBehaviour:
    """How the simulated HPA reacts; durations in seconds."""

    startup: float
    """A new replica serves this long after it is requested."""
    stabilization_window: float
    """Scaling down uses the highest desire of this window."""


@dataclass(frozen=True)
class ReplayResult:
    """Provisioning of one policy against the ideal ceil(load / capacity)."""

    under_provisioned_pct: float
    under_replica_hours: float
    over_replica_hours: float
    replica_hours: float
    actions: int
    replicas: list[int]
    """Ready replicas at each replayed step."""


def _steps(seconds: float, step: float) -> int:
    return math.ceil(seconds / step - 1e-9) if seconds > 0 else 0


def _held(load: FloatArray) -> FloatArray:
    """The load the HPA acts on at each step: the last known value (the first one before it)."""
    known = np.isfinite(load)
    if not known.any():
        return np.zeros(len(load))
    last = np.maximum.accumulate(np.where(known, np.arange(len(load)), -1))
    held: FloatArray = load[np.where(last >= 0, last, int(np.argmax(known)))]
    return held


def _trailing(values: FloatArray, width: int, highest: bool) -> FloatArray:
    """Highest (or lowest) of the last `width` values at each index, fewer at the start."""
    if width <= 1 or not len(values):
        return values
    padded = np.concatenate([np.full(width - 1, values[0]), values])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    result: FloatArray = windows.max(axis=1) if highest else windows.min(axis=1)
    return result


def reactive_desires(load: FloatArray, rules: ScalingRules, headroom: float = 0.0) -> FloatArray:
    """The reactive HPA's replicas at each step: ceil(load × (1 + headroom) / capacity).

    Missing load keeps the last known value; within the replica bounds (`reactive_replicas`).
    `headroom` is a lowered target utilisation: 0.25 runs replicas at 80% of `capacity`.
    """
    wanted = np.maximum(_held(load), 0.0) * (1 + headroom) / rules.per_replica_capacity
    desires: FloatArray = np.clip(np.ceil(wanted - 1e-9), rules.replicas.min, rules.replicas.max)
    return desires


def replay(
    load: FloatArray,
    step: float,
    rules: ScalingRules,
    behaviour: HpaBehaviour,
    peaks: FloatArray | None = None,
    *,
    headroom: float = 0.0,
) -> ReplayResult:
    """Simulate the HPA over `load`; with `peaks`, augur raises its minimum at each step.

    `peaks[t]` is the upper-quantile load the floor set at step t must carry, forecast from
    the history up to step t (NaN: no healthy forecast, the HPA stays reactive). As in
    Kubernetes, the HPA's scale-down stabilization applies to its metric-based desires and
    minReplicas bounds the stabilised result, so a lowered floor takes effect at once; the
    floor's own stabilization is `rules.scale_down`. Missing load keeps the last known value.
    `headroom` lowers the HPA's own target utilisation (`reactive_desires`).
    """
    delay = _steps(behaviour.startup, step)
    window = _steps(behaviour.stabilization_window, step)
    held = _held(load)
    # the HPA stabilises its own (metric) desires, then bounds them by minReplicas
    stabilised = _trailing(reactive_desires(load, rules, headroom), window + 1, highest=True)
    targets = stabilised.astype(np.int64).tolist()
    if peaks is not None:
        advice: list[PastRecommendation] = []
        forecast_floor = reactive_replicas(float(held[0]) if len(held) else 0.0, rules)
        for index, peak in enumerate(peaks.tolist()):
            if not math.isfinite(peak):
                continue
            now = index * step
            advice = [a for a in advice if a.at >= now - rules.scale_down.stabilization_window]
            floor = recommend_replicas(
                peak_upper=peak,
                current_load=float(held[index]),
                current_replicas=forecast_floor,
                rules=rules,
                now=now,
                history=advice,
            )
            if floor is not None:
                advice.append(PastRecommendation(now, floor.forecast_replicas))
                forecast_floor = floor.forecast_floor
                targets[index] = max(targets[index], floor.replicas)
    target = np.asarray(targets, dtype=np.float64)
    ready = _trailing(target, delay + 1, highest=False).astype(np.int64).tolist()
    return _summarise(load, step, rules, ready, targets)


def floor_misses(
    load: FloatArray,
    peaks: FloatArray,
    step: float,
    rules: ScalingRules,
    behaviour: HpaBehaviour,
) -> tuple[int, int]:
    """Under-provisioned steps of the reactive HPA over `load`, without and with augur's floor.

    A quick judgement, not the replay: the floor at step t is ceil(peaks[t] × (1 + headroom) /
    capacity) within the bounds (NaN: none), raised at once and dropped at once, without its
    own stabilization and step limits (which only hold replicas longer); the HPA's lag,
    start-up and scale-down window are as in `replay`.
    """
    delay = _steps(behaviour.startup, step)
    window = _steps(behaviour.stabilization_window, step)
    stabilised = _trailing(reactive_desires(load, rules), window + 1, highest=True)
    wanted = np.where(np.isfinite(peaks), np.maximum(peaks, 0.0), 0.0) * (1 + rules.headroom)
    floor = np.clip(
        np.ceil(wanted / rules.per_replica_capacity - 1e-9), rules.replicas.min, rules.replicas.max
    )
    floored = np.where(np.isfinite(peaks), np.maximum(stabilised, floor), stabilised)
    known = np.isfinite(load)
    needed = np.where(known, load, 0.0)

    def misses(target: FloatArray) -> int:
        ready = _trailing(target, delay + 1, highest=False)
        return int(np.count_nonzero(known & (ready * rules.per_replica_capacity < needed)))

    return misses(stabilised), misses(floored)


@dataclass(frozen=True)
class EqualCost:
    """The reactive HPA with the uniform headroom that spends the replica-hours it was given."""

    headroom: float
    result: ReplayResult
    reached: bool
    """False when no headroom reaches the replica-hours (the replica bounds stop it)."""


HEADROOM_TOLERANCE = 1e-4
"""The equal-cost headroom is the smallest to within this (a share of capacity)."""


def equal_cost_reactive(
    load: FloatArray,
    step: float,
    rules: ScalingRules,
    behaviour: HpaBehaviour,
    replica_hours: float,
) -> EqualCost:
    """The reactive HPA with the smallest uniform headroom whose replica-hours reach
    `replica_hours` (to within HEADROOM_TOLERANCE), found by bisection.

    Replica-hours never fall as the headroom grows (every step's desire is a non-decreasing
    step function of it), so the headroom that spends what augur's floor spends answers "is
    the floor a better use of those replicas than lowering the HPA's target utilisation?".
    Headroom 0 is the plain reactive HPA. When even the replica bounds' maximum falls short,
    the result is the headroom at which every step reaches it, with `reached` False.
    """

    def spent(headroom: float) -> ReplayResult:
        return replay(load, step, rules, behaviour, headroom=headroom)

    plain = spent(0.0)
    if plain.replica_hours >= replica_hours:
        return EqualCost(0.0, plain, True)
    low, high = 0.0, 1.0
    result = spent(high)
    known = np.abs(_held(load))
    smallest = float(known[known > 0].min()) if (known > 0).any() else 1.0
    # beyond this every step with any load wants the most replicas the bounds allow
    ceiling = rules.replicas.max * rules.per_replica_capacity / smallest
    while result.replica_hours < replica_hours:
        if high > ceiling:
            return EqualCost(high, result, False)
        low, high = high, 2 * high
        result = spent(high)
    while high - low > HEADROOM_TOLERANCE:
        middle = (low + high) / 2
        trial = spent(middle)
        if trial.replica_hours >= replica_hours:
            high, result = middle, trial
        else:
            low = middle
    return EqualCost(high, result, True)


def _summarise(
    load: FloatArray, step: float, rules: ScalingRules, ready: list[int], target: list[int]
) -> ReplayResult:
    hours = step / 3600
    served = np.asarray(ready, dtype=np.float64)
    known = np.isfinite(load)
    ideal = np.ceil(np.where(known, load, 0) / rules.per_replica_capacity - 1e-9)
    ideal = np.clip(ideal, rules.replicas.min, rules.replicas.max)
    under = known & (served * rules.per_replica_capacity < np.where(known, load, 0))
    gap = (served - ideal)[known]
    changes = int(np.count_nonzero(np.diff(np.asarray(target)))) if len(target) > 1 else 0
    return ReplayResult(
        under_provisioned_pct=float(100 * under.sum() / max(1, known.sum())),
        under_replica_hours=float(np.clip(-gap, 0, None).sum() * hours),
        over_replica_hours=float(np.clip(gap, 0, None).sum() * hours),
        replica_hours=float(np.sum(target) * hours),
        actions=changes,
        replicas=ready,
    )

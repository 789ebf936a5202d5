"""Replaying a trace as a workload's load: a reactive HPA, with and without augur's floor."""

from __future__ import annotations

import math
from collections import deque
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


def replay(
    load: FloatArray,
    step: float,
    rules: ScalingRules,
    behaviour: HpaBehaviour,
    peaks: FloatArray | None = None,
) -> ReplayResult:
    """Simulate the HPA over `load`; with `peaks`, augur raises its minimum at each step.

    `peaks[t]` is the upper-quantile load the floor set at step t must carry, forecast from
    the history up to step t (NaN: no healthy forecast, the HPA stays reactive). As in
    Kubernetes, the HPA's scale-down stabilization applies to its metric-based desires and
    minReplicas bounds the stabilised result, so a lowered floor takes effect at once; the
    floor's own stabilization is `rules.scale_down`. Missing load keeps the last known value.
    """
    delay = _steps(behaviour.startup, step)
    window = _steps(behaviour.stabilization_window, step)
    desires: deque[int] = deque(maxlen=window + 1)
    targets: deque[int] = deque(maxlen=delay + 1)
    advice: list[PastRecommendation] = []
    known = load[np.isfinite(load)]
    current_load = float(known[0]) if len(known) else 0.0
    forecast_floor = reactive_replicas(current_load, rules)
    ready_history: list[int] = []
    target_history: list[int] = []
    for index, value in enumerate(load.tolist()):
        if math.isfinite(value):
            current_load = value
        desires.append(reactive_replicas(current_load, rules))
        # the HPA stabilises its own (metric) desires, then bounds them by minReplicas
        target = max(desires)
        peak = float(peaks[index]) if peaks is not None else math.nan
        if math.isfinite(peak):
            now = index * step
            advice = [a for a in advice if a.at >= now - rules.scale_down.stabilization_window]
            floor = recommend_replicas(
                peak_upper=peak,
                current_load=current_load,
                current_replicas=forecast_floor,
                rules=rules,
                now=now,
                history=advice,
            )
            if floor is not None:
                advice.append(PastRecommendation(now, floor.forecast_replicas))
                forecast_floor = floor.forecast_floor
                target = max(target, floor.replicas)
        targets.append(target)
        target_history.append(target)
        ready_history.append(min(targets))
    return _summarise(load, step, rules, ready_history, target_history)


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

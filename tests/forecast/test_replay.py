"""The scaling replay: reactive HPA lag, stabilization, and the forecast floor."""

from __future__ import annotations

import numpy as np

from augur.forecast.config import ReplicaBounds, ScaleDown, ScaleUp, ScalingRules
from augur.forecast.replay import HpaBehaviour, replay

BOUNDS = ReplicaBounds(min=1, max=1000)
RULES = ScalingRules(
    per_replica_capacity=10,
    replicas=BOUNDS,
    headroom=0.0,
    scale_up=ScaleUp(100),
    scale_down=ScaleDown(100, 0),
)


def test_reactive_hpa_lags_one_step_on_a_rise() -> None:
    load = np.array([10, 10, 50, 50, 50, 10, 10, 10], dtype=np.float64)
    result = replay(load, 300, RULES, HpaBehaviour(startup=120, stabilization_window=300))
    assert result.replicas == [1, 1, 1, 5, 5, 5, 1, 1]
    assert result.under_provisioned_pct == 100 / 8
    assert result.under_replica_hours == 4 * 300 / 3600
    assert result.actions == 2


def test_without_startup_delay_reactive_is_ideal() -> None:
    load = np.array([10, 30, 20, 40], dtype=np.float64)
    result = replay(load, 300, RULES, HpaBehaviour(startup=0, stabilization_window=0))
    assert result.replicas == [1, 3, 2, 4]
    assert result.under_replica_hours == result.over_replica_hours == 0


def test_forecast_floor_prepares_for_the_rise() -> None:
    load = np.array([10, 10, 50, 50, 10, 10], dtype=np.float64)
    peaks = np.array([10, 50, 50, 50, 10, np.nan])  # the forecast from data up to each step
    behaviour = HpaBehaviour(startup=120, stabilization_window=0)
    reactive = replay(load, 300, RULES, behaviour)
    floored = replay(load, 300, RULES, behaviour, peaks)
    assert reactive.under_provisioned_pct > 0
    assert floored.under_provisioned_pct == 0


def test_a_lowered_floor_applies_at_once_like_min_replicas() -> None:
    # the HPA's 5-minute window stabilises its own desires, not augur's minimum
    load = np.array([10, 10, 10, 10, 10], dtype=np.float64)
    peaks = np.array([50, 10, 10, 10, 10], dtype=np.float64)
    behaviour = HpaBehaviour(startup=0, stabilization_window=300)
    floored = replay(load, 300, RULES, behaviour, peaks)
    assert floored.replicas == [5, 1, 1, 1, 1]


def test_the_floor_does_not_hold_a_spike_the_hpa_lets_go() -> None:
    rules = ScalingRules(
        per_replica_capacity=10,
        replicas=BOUNDS,
        headroom=0.0,
        scale_up=ScaleUp(10),
        scale_down=ScaleDown(1, 0),
    )
    load = np.array([10, 90, 10, 10, 10], dtype=np.float64)
    peaks = np.full(5, 10.0)  # the forecast never expects more than one replica
    behaviour = HpaBehaviour(startup=0, stabilization_window=0)
    floored = replay(load, 300, rules, behaviour, peaks)
    # with step limits measured from the spike, the floor would step down 9, 8, 7...
    assert floored.replicas == [1, 9, 1, 1, 1]


def test_no_healthy_forecast_leaves_the_hpa_reactive() -> None:
    load = np.array([10, 10, 50, 50, 10, 10], dtype=np.float64)
    behaviour = HpaBehaviour(startup=120, stabilization_window=300)
    reactive = replay(load, 300, RULES, behaviour)
    unhealthy = replay(load, 300, RULES, behaviour, np.full(6, np.nan))
    assert unhealthy.replicas == reactive.replicas

"""The scaling replay: reactive HPA lag, stabilization, the forecast floor, equal-cost headroom."""

from __future__ import annotations

import numpy as np

from augur.forecast.config import ReplicaBounds, ScaleDown, ScaleUp, ScalingRules
from augur.forecast.replay import (
    HEADROOM_TOLERANCE,
    HpaBehaviour,
    equal_cost_reactive,
    replay,
)

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


def test_headroom_lowers_the_hpa_target_utilisation() -> None:
    load = np.array([100, 100, 100], dtype=np.float64)
    behaviour = HpaBehaviour(startup=0, stabilization_window=0)
    assert replay(load, 300, RULES, behaviour).replicas == [10, 10, 10]
    # ceil(100 × 1.25 / 10) = 13: the replicas run at 100 / 130 of capacity
    assert replay(load, 300, RULES, behaviour, headroom=0.25).replicas == [13, 13, 13]


def test_equal_cost_at_the_reactive_replica_hours_is_the_plain_reactive_hpa() -> None:
    load = np.random.default_rng(5).uniform(10, 90, 200)
    behaviour = HpaBehaviour(startup=120, stabilization_window=300)
    reactive = replay(load, 300, RULES, behaviour)
    equal = equal_cost_reactive(load, 300, RULES, behaviour, reactive.replica_hours)
    assert (equal.headroom, equal.reached) == (0.0, True)
    assert equal.result == reactive
    assert replay(load, 300, RULES, behaviour, headroom=0.0) == reactive


def test_equal_cost_finds_the_smallest_headroom_that_spends_as_much() -> None:
    load = np.random.default_rng(6).uniform(10, 90, 300)
    behaviour = HpaBehaviour(startup=120, stabilization_window=300)
    reactive = replay(load, 300, RULES, behaviour)
    target = reactive.replica_hours * 1.3
    equal = equal_cost_reactive(load, 300, RULES, behaviour, target)
    assert equal.reached
    assert equal.result.replica_hours >= target
    assert equal.result == replay(load, 300, RULES, behaviour, headroom=equal.headroom)
    below = replay(load, 300, RULES, behaviour, headroom=equal.headroom - HEADROOM_TOLERANCE)
    assert below.replica_hours < target


def test_equal_cost_headroom_sits_on_the_step_of_the_replica_hours() -> None:
    # 100 load, 10 per replica: 11 replicas need 10 (1 + h) > 10, i.e. any h above 0; 12
    # replicas need h above 0.1, and nothing between 0 and 0.1 spends more than 11 do
    load = np.full(12, 100.0)
    behaviour = HpaBehaviour(startup=0, stabilization_window=0)
    equal = equal_cost_reactive(load, 300, RULES, behaviour, 12 * 12 * 300 / 3600)
    assert 0.1 < equal.headroom <= 0.1 + HEADROOM_TOLERANCE
    assert equal.result.replicas == [12] * 12


def test_equal_cost_beyond_the_replica_bounds_says_it_falls_short() -> None:
    rules = ScalingRules(
        per_replica_capacity=10,
        replicas=ReplicaBounds(min=1, max=5),
        headroom=0.0,
        scale_up=ScaleUp(100),
        scale_down=ScaleDown(100, 0),
    )
    load = np.full(10, 20.0)
    behaviour = HpaBehaviour(startup=0, stabilization_window=0)
    equal = equal_cost_reactive(load, 300, rules, behaviour, 100.0)
    assert not equal.reached
    assert equal.result.replicas == [5] * 10

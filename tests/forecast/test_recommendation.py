"""The replica rules: lead window, headroom, clamps, steps, stabilization, reactive floor."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from augur.forecast.config import ReplicaBounds, ScaleDown, ScaleUp, ScalingRules, replay_policy
from augur.forecast.recommend import (
    PastRecommendation,
    lead_steps,
    peak_within,
    recommend_replicas,
)

RULES = ScalingRules(
    per_replica_capacity=50,
    replicas=ReplicaBounds(min=2, max=40),
    headroom=0.15,
    scale_up=ScaleUp(max_step=10),
    scale_down=ScaleDown(max_step=2, stabilization_window=900),
)


def _replicas(
    peak: float | None, load: float = 0.0, current: int = 10, **kwargs: object
) -> int | None:
    result = recommend_replicas(
        peak_upper=peak,
        current_load=load,
        current_replicas=current,
        rules=RULES,
        now=1000.0,
        **kwargs,  # type: ignore[arg-type]
    )
    return None if result is None else result.replicas


def test_peak_with_headroom_over_capacity() -> None:
    # 530 × 1.15 / 50 = 12.19 -> 13
    assert _replicas(530) == 13


def test_clamped_to_bounds() -> None:
    assert _replicas(1.0, current=3) == 2
    assert _replicas(100_000, current=38) == 40


def test_scale_up_limited_by_max_step() -> None:
    assert _replicas(2000, current=5) == 15


def test_scale_down_limited_by_max_step() -> None:
    assert _replicas(100, current=10) == 8


def test_scale_down_waits_for_stabilization_window() -> None:
    history = [PastRecommendation(at=500.0, replicas=9), PastRecommendation(at=50.0, replicas=20)]
    # 20 is older than the 15-minute window; 9 is within it
    assert _replicas(200, current=10, history=history) == 9


def test_scale_up_is_not_stabilized() -> None:
    history = [PastRecommendation(at=900.0, replicas=3)]
    assert _replicas(530, current=10, history=history) == 13


def test_never_below_the_reactive_choice() -> None:
    # the forecast says 5, the current load already needs 18
    result = recommend_replicas(
        peak_upper=200, current_load=900, current_replicas=18, rules=RULES, now=0.0
    )
    assert result is not None
    assert (result.replicas, result.reason) == (18, "reactive load")


@pytest.mark.parametrize("peak", [None, float("nan"), float("inf")])
def test_no_healthy_forecast_recommends_nothing(peak: float | None) -> None:
    assert _replicas(peak) is None


def test_invalid_rules_are_refused_by_the_policy_they_come_from() -> None:
    with pytest.raises(ValidationError, match="per_replica_capacity"):
        replay_policy(0, replicas={"max": 40})
    with pytest.raises(ValidationError, match=r"min \(5\) is greater than max \(2\)"):
        replay_policy(1, replicas={"min": 5, "max": 2})
    with pytest.raises(ValidationError, match="headroom"):
        replay_policy(1, replicas={"max": 40}, headroom=-0.1)


@pytest.mark.parametrize(
    ("startup", "step", "evaluation", "expected"),
    [
        (120, 300, 300, 1),  # serves from the next step: the next step's quantile
        (0, 300, 300, 1),
        (600, 300, 300, 2),  # two steps to start: steps 1 and 2 ahead
        (120, 300, 900, 3),  # evaluated every third step: until the next one's replicas serve
        (120, 1800, 300, 1),
    ],
)
def test_lead_steps_cover_startup_plus_scaling_lag(
    startup: float, step: float, evaluation: float, expected: int
) -> None:
    assert lead_steps(startup, step, evaluation) == expected


def test_peak_within_the_lead_steps_only() -> None:
    upper = [100.0, 120.0, 900.0]
    assert peak_within(upper, 1) == 100.0
    assert peak_within(upper, 2) == 120.0
    assert peak_within(upper, 10) == 900.0
    assert math.isnan(peak_within([100.0, math.nan], 2))


def test_step_limits_start_from_the_forecast_floor_not_the_reactive_load() -> None:
    # a load spike raised the recommendation to 30 while the forecast's own floor stayed 6
    spike = recommend_replicas(
        peak_upper=250, current_load=1500, current_replicas=6, rules=RULES, now=0.0
    )
    assert spike is not None
    assert (spike.replicas, spike.forecast_floor, spike.reason) == (30, 6, "reactive load")
    after = recommend_replicas(
        peak_upper=250,
        current_load=250,
        current_replicas=spike.forecast_floor,
        rules=RULES,
        now=300.0,
    )
    # scaleDown.maxStep 2 would have held 28; the forecast never asked for more than 6
    assert after is not None and after.replicas == 6

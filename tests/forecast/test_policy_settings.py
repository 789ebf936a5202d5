"""The one adapter from a ScalingPolicy to the engine's settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from augur.api.resources import ScalingPolicy, parse_resource, problems_from
from augur.forecast.config import (
    API_METHODS,
    METHODS,
    FloorCheck,
    ReplicaBounds,
    ScaleDown,
    ScaleUp,
    ScalingRules,
    api_method,
    engine_method,
    engine_settings,
    replay_policy,
)


def test_a_policy_as_written_becomes_engine_settings() -> None:
    policy = parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "ScalingPolicy",
            "metadata": {"name": "backend", "namespace": "shop"},
            "spec": {
                "targetRef": {"name": "backend"},
                "metric": {"query": "sum(rate(http_requests_total[5m]))", "perReplicaCapacity": 50},
                "forecast": {
                    "method": "holtWinters",
                    "history": "7d",
                    "step": "1m",
                    "seasonality": ["1d", "1w"],
                    "horizon": "1h",
                    "quantile": 0.95,
                    "startup": "90s",
                },
                "replicas": {"min": 2, "max": 40},
                "headroom": 0.15,
                "scaleUp": {"maxStep": 4},
                "scaleDown": {"maxStep": 3, "stabilizationWindow": "10m"},
                "evaluationInterval": "2m",
            },
        }
    )
    assert isinstance(policy, ScalingPolicy)
    settings = engine_settings(policy.spec)
    forecast = settings.forecast
    assert (forecast.method, forecast.history, forecast.step) == ("holt_winters", 7 * 86400, 60)
    assert (forecast.seasonality, forecast.horizon, forecast.quantile) == (
        (86400, 604800),
        3600,
        0.95,
    )
    assert (forecast.horizon_steps, forecast.history_steps) == (60, 7 * 1440)
    assert settings.rules == ScalingRules(
        per_replica_capacity=50,
        replicas=ReplicaBounds(min=2, max=40),
        headroom=0.15,
        scale_up=ScaleUp(max_step=4),
        scale_down=ScaleDown(max_step=3, stabilization_window=600),
    )
    assert (settings.startup, settings.evaluation_interval) == (90, 120)
    # the engine judges a forecast's floor by the policy's own rules before it steers
    assert forecast.floor_check == FloorCheck(settings.rules, 90, 120)


def test_what_a_policy_leaves_out_is_the_models_default() -> None:
    settings = engine_settings(replay_policy(10, replicas={"max": 5}))
    forecast = settings.forecast
    assert (forecast.method, forecast.history, forecast.step, forecast.seasonality) == (
        "auto",
        14 * 86400,
        300,
        (),
    )
    assert (forecast.horizon, forecast.quantile) == (1800, 0.9)
    assert settings.rules == ScalingRules(
        per_replica_capacity=10,
        replicas=ReplicaBounds(min=1, max=5),
        headroom=0.0,
        scale_up=ScaleUp(max_step=10),
        scale_down=ScaleDown(max_step=2, stabilization_window=300),
    )
    assert (settings.startup, settings.evaluation_interval) == (120, 300)


def test_a_replayed_policy_is_checked_like_any_other() -> None:
    with pytest.raises(ValidationError, match="horizon 5m is shorter than step 30m"):
        replay_policy(10, replicas={"max": 5}, forecast={"step": "30m", "horizon": "5m"})
    with pytest.raises(ValidationError) as caught:
        replay_policy(10, replicas={"max": 5}, forecast={"history": "two weeks"})
    assert [str(problem) for problem in problems_from(caught.value)] == [
        "forecast.history: 'two weeks' is not a Prometheus duration (like 30s, 5m, 1h, 1d, 1w)"
    ]


def test_method_names_map_both_ways() -> None:
    assert METHODS == (
        "auto",
        "seasonal_naive",
        "holt_winters",
        "multi_seasonal",
        "linear",
        "ensemble",
    )
    assert tuple(api_method(name) for name in METHODS) == API_METHODS
    assert tuple(engine_method(name) for name in API_METHODS) == METHODS


def test_a_combination_converts_each_part() -> None:
    assert api_method("holt_winters+seasonal_naive") == "holtWinters+seasonalNaive"
    assert engine_method("holtWinters+linear") == "holt_winters+linear"

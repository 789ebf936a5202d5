"""evaluate_policy on plain data: recommend vs apply, clamping, faults, resuming from status."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from augur.api.scalingpolicy import ScalingPolicySpec
from augur.forecast.series import Series
from augur.scaling.evaluate import PROMETHEUS_GRACE_EVALUATIONS, RESELECT_EVERY, Observed
from augur.scaling.inputs import FloorHolder, QueryProblem, choose_stack
from augur.scaling.kept import KeptState, kept_state_from_status
from augur.scaling.policy import Evaluation, evaluate_policy
from augur.scaling.steering import floor_patch

SpecMaker = Callable[..., ScalingPolicySpec]
HistoryMaker = Callable[..., Series]
HpaMaker = Callable[..., FloorHolder]
ObservedMaker = Callable[..., Observed]


def conditions_of(result: Evaluation) -> dict[str, tuple[str, str]]:
    """(status, reason) of each condition, by type."""
    return {c.type: (c.status, c.reason) for c in result.conditions}


def test_recommend_writes_status_and_metrics_and_leaves_the_hpa_alone(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    result = evaluate_policy(spec(mode="recommend"), observed(), KeptState(), now=now, generation=4)
    assert result.change is None
    assert result.recommendation is not None
    assert conditions_of(result) == {
        "Ready": ("True", "Evaluated"),
        "ForecastHealthy": ("True", "Fitted"),
        "Applied": ("False", "ModeRecommend"),
    }
    status = result.status
    assert status["observedGeneration"] == 4
    assert status["recommendedReplicas"] == result.recommendation.replicas
    assert status["currentReplicas"] == 9
    assert status["target"] == "Deployment/web"  # the Target column
    assert status["applied"] is None
    assert len(status["forecast"]["points"]) == 6  # 30m at 5m
    assert status["model"]["trainingPoints"] == 7 * 288
    assert status["accuracy"]["window"]
    json.dumps(status, allow_nan=False)  # a status carries no NaN
    metrics = result.metrics
    assert metrics.recommended_replicas == result.recommendation.replicas
    assert metrics.applied_min_replicas is None
    assert [label for label, _ in metrics.forecast] == ["0.5", "0.9", "0.1"]
    point, upper, lower = (value for _, value in metrics.forecast)
    assert lower <= point <= upper
    assert metrics.healthy
    assert result.events == ()


def test_apply_raises_the_minimum_recording_the_original(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    result = evaluate_policy(spec(), observed(), KeptState(), now=now)
    assert result.recommendation is not None
    wanted = result.recommendation.replicas
    assert wanted > 3  # the load (~100-120 per 10) needs more than the HPA's own minimum
    assert result.change is not None
    assert (result.change.kind, result.change.min_replicas, result.change.original) == (
        "Raise",
        wanted,
        3,
    )
    assert conditions_of(result)["Applied"] == ("True", "Applied")
    assert result.status["applied"]["minReplicas"] == wanted
    assert result.metrics.applied_min_replicas == wanted
    assert result.kept.steered == "HorizontalPodAutoscaler/web"
    assert [(e.type, e.reason) for e in result.events] == [("Normal", "FloorRaised")]


def test_apply_patch_owns_only_the_minimum_and_the_annotation(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    holder = observed().holder
    result = evaluate_policy(spec(), observed(), KeptState(), now=now)
    assert result.change is not None and holder is not None
    assert floor_patch(holder, result.change) == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "annotations": {"augur.dev/original-min-replicas": "3"},
        },
        "spec": {"minReplicas": result.change.min_replicas},
    }


def test_an_unchanged_floor_is_not_written_again(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    first = evaluate_policy(spec(), observed(), KeptState(), now=now)
    assert first.change is not None
    raised = hpa(min_replicas=first.change.min_replicas, original=3)
    again = evaluate_policy(spec(), observed(holder=raised), first.kept, now=now)
    assert again.change is None
    assert again.status["applied"] == first.status["applied"]  # `at` keeps the first write
    assert again.events == ()


def test_the_floor_is_clamped_to_the_hpas_max(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    result = evaluate_policy(spec(), observed(holder=hpa(max_replicas=5)), KeptState(), now=now)
    assert result.recommendation is not None and result.recommendation.replicas > 5
    assert result.change is not None and result.change.min_replicas == 5
    assert conditions_of(result)["Applied"] == ("True", "ClampedToHPAMax")
    assert ("Warning", "ClampedToHPAMax") in [(e.type, e.reason) for e in result.events]


def test_an_hpa_max_below_replicas_min_is_reported(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    holder = hpa(min_replicas=1, max_replicas=4)
    policy = spec(replicas={"min": 6, "max": 40})
    result = evaluate_policy(policy, observed(holder=holder), KeptState(), now=now)
    assert result.change is not None and result.change.min_replicas == 4
    assert conditions_of(result)["Applied"] == ("True", "HPAMaxBelowReplicasMin")


def test_the_floor_follows_replicas_max(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    result = evaluate_policy(spec(replicas={"min": 1, "max": 6}), observed(), KeptState(), now=now)
    assert result.recommendation is not None and result.recommendation.replicas == 6
    assert result.change is not None and result.change.min_replicas == 6


def test_a_recommendation_below_the_hpas_own_minimum_changes_nothing(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, history: HistoryMaker, now: float
) -> None:
    quiet = observed(history=history(level=30.0), holder=hpa(min_replicas=8))
    result = evaluate_policy(spec(), quiet, KeptState(), now=now)
    assert result.recommendation is not None and result.recommendation.replicas < 8
    assert result.change is None
    assert conditions_of(result)["Applied"] == ("True", "AtOrBelowOwnMinimum")
    assert result.status["applied"] is None


def test_not_enough_history_restores_a_raised_hpa(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, history: HistoryMaker, now: float
) -> None:
    short = observed(history=history(days=0.05), holder=hpa(min_replicas=12, original=3))
    result = evaluate_policy(spec(), short, KeptState(), now=now)
    assert result.recommendation is None
    assert conditions_of(result) == {
        "Ready": ("False", "NotEnoughHistory"),
        "ForecastHealthy": ("False", "NotEnoughHistory"),
        "Applied": ("False", "NotRaised"),
    }
    assert result.change is not None
    assert (result.change.kind, result.change.min_replicas, result.change.original) == (
        "Restore",
        3,
        None,
    )
    assert result.status["recommendedReplicas"] is None
    assert result.metrics.recommended_replicas is None
    assert not result.metrics.healthy
    reasons = [(e.type, e.reason) for e in result.events]
    assert reasons == [("Normal", "FloorRestored"), ("Warning", "NotEnoughHistory")]


def test_a_restore_drops_the_annotation_and_writes_the_recorded_value(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, history: HistoryMaker, now: float
) -> None:
    holder = hpa(min_replicas=12, original=3)
    result = evaluate_policy(spec(mode="recommend"), observed(holder=holder), KeptState(), now=now)
    assert result.change is not None
    assert floor_patch(holder, result.change) == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"minReplicas": 3},
    }
    assert conditions_of(result)["Applied"] == ("False", "ModeRecommend")


def test_pause_restores_and_keeps_evaluating(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    paused = observed(holder=hpa(min_replicas=12, original=3), paused=True)
    result = evaluate_policy(spec(), paused, KeptState(), now=now)
    assert result.change is not None and result.change.kind == "Restore"
    assert result.recommendation is not None
    assert conditions_of(result)["Applied"] == ("False", "Paused")
    assert conditions_of(result)["Ready"] == ("True", "Evaluated")


def test_a_missing_target_restores_and_skips_the_engine(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    gone = observed(target_found=False, holder=hpa(min_replicas=12, original=3))
    result = evaluate_policy(spec(), gone, KeptState(), now=now)
    assert result.forecast is None
    assert result.change is not None and result.change.kind == "Restore"
    assert conditions_of(result) == {
        "Ready": ("False", "TargetNotFound"),
        "ForecastHealthy": ("Unknown", "NotEvaluated"),
        "Applied": ("False", "NotRaised"),
    }
    assert "forecast" not in result.status  # the last forecast stays visible


def test_a_missing_hpa_in_mode_apply(spec: SpecMaker, observed: ObservedMaker, now: float) -> None:
    result = evaluate_policy(spec(), observed(holder=None), KeptState(), now=now)
    assert result.change is None
    assert result.recommendation is not None  # status still says what it would do
    assert conditions_of(result)["Ready"] == ("False", "HPANotFound")
    assert conditions_of(result)["Applied"] == ("False", "HPANotFound")


def test_prometheus_down_holds_the_floor_through_the_grace_then_restores(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    down = observed(
        history=QueryProblem("PrometheusUnreachable", "connection refused"),
        holder=hpa(min_replicas=12, original=3),
    )
    kept = KeptState(applied_min=12, applied_at=now - 600)
    seen = []
    for evaluation in range(PROMETHEUS_GRACE_EVALUATIONS):
        result = evaluate_policy(spec(), down, kept, now=now + evaluation * 300)
        seen.append((conditions_of(result)["Applied"], result.change))
        kept = result.kept
    held = [("True", "HeldThroughOutage"), None]
    assert [[a, c] for a, c in seen[:-1]] == [held] * (PROMETHEUS_GRACE_EVALUATIONS - 1)
    last_applied, last_change = seen[-1]
    assert last_applied == ("False", "NotRaised")
    assert last_change is not None and last_change.min_replicas == 3
    assert kept.failed_queries == PROMETHEUS_GRACE_EVALUATIONS


def test_the_grace_counts_only_failures_in_a_row(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    down = observed(
        history=QueryProblem("PrometheusUnreachable", "timeout"),
        holder=hpa(min_replicas=12, original=3),
    )
    failed = evaluate_policy(spec(), down, KeptState(), now=now).kept
    assert failed.failed_queries == 1
    healthy = evaluate_policy(spec(), observed(), failed, now=now + 300).kept
    assert healthy.failed_queries == 0


def test_several_series_restore_at_once(
    spec: SpecMaker, observed: ObservedMaker, hpa: HpaMaker, now: float
) -> None:
    several = observed(
        history=QueryProblem("QueryReturnedSeveralSeries", "the query returned 2 series"),
        holder=hpa(min_replicas=12, original=3),
    )
    result = evaluate_policy(spec(), several, KeptState(), now=now)
    assert result.change is not None and result.change.kind == "Restore"
    assert conditions_of(result)["Ready"] == ("False", "QueryReturnedSeveralSeries")
    assert conditions_of(result)["ForecastHealthy"] == ("False", "QueryReturnedSeveralSeries")


def test_several_stacks_without_a_stack_ref_say_so(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    choice = choose_stack(["monitoring/a", "ops/b"], None)
    assert choice.stack is None and choice.problem is not None
    result = evaluate_policy(spec(), observed(history=choice.problem), KeptState(), now=now)
    ready = result.conditions[0]
    assert (ready.status, ready.reason) == ("False", "SeveralStacksSelectNamespace")
    assert "spec.stackRef" in ready.message
    assert "monitoring/a, ops/b" in ready.message


def test_a_fault_warns_once_not_every_evaluation(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    problem = QueryProblem("QueryReturnedNoSeries", "the query returned no series")
    first = evaluate_policy(spec(mode="recommend"), observed(history=problem), KeptState(), now=now)
    assert [e.reason for e in first.events] == ["QueryReturnedNoSeries"]
    again = evaluate_policy(
        spec(mode="recommend"), observed(history=problem), first.kept, now=now + 300
    )
    assert again.events == ()


def test_non_finite_samples_are_named(spec: SpecMaker, observed: ObservedMaker, now: float) -> None:
    result = evaluate_policy(spec(), observed(non_finite_samples=4), KeptState(), now=now)
    health = conditions_of(result)["ForecastHealthy"]
    assert health == ("True", "NonFiniteSamplesIgnored")
    assert "4 NaN/Inf samples" in result.conditions[1].message


def test_auto_resumes_from_the_kept_selection_without_selecting_again(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    first = evaluate_policy(spec(), observed(), KeptState(), now=now)
    assert first.kept.selected_at == now
    assert first.kept.selected_method == first.status["evaluation"]["selectedMethod"]
    # a restarted operator reads the selection back from status; plant one auto would not
    # pick, so that reusing it (and not selecting again) shows in the model fitted
    restored = kept_state_from_status(first.status)
    assert restored.selected_method == first.kept.selected_method
    planted = replace(restored, selected_method="linear")
    later = evaluate_policy(spec(), observed(), planted, now=now + 300)
    assert later.status["model"]["method"] == "linear"
    assert later.kept.selected_method == "linear"
    assert later.kept.selected_at == now
    due = evaluate_policy(spec(), observed(), planted, now=now + RESELECT_EVERY)
    assert due.kept.selected_at == now + RESELECT_EVERY
    assert due.kept.selected_method == first.kept.selected_method


def test_an_unknown_kept_method_costs_a_selection_not_an_error(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    kept = KeptState(selected_method="prophet", selected_at=now - 300)
    result = evaluate_policy(spec(), observed(), kept, now=now)
    assert result.kept.selected_method != "prophet"
    assert result.kept.selected_at == now


def test_a_fixed_method_keeps_no_selection(
    spec: SpecMaker, observed: ObservedMaker, now: float
) -> None:
    policy = spec(forecast={"method": "holtWinters", "history": "7d"})
    kept = KeptState(selected_method="linear", selected_at=now - 300)
    result = evaluate_policy(policy, observed(), kept, now=now)
    assert result.status["model"]["method"] == "holtWinters"
    assert result.kept.selected_method is None


def test_the_step_limits_continue_from_the_kept_floor(
    spec: SpecMaker, observed: ObservedMaker, history: HistoryMaker, now: float
) -> None:
    policy = spec(scaleUp={"maxStep": 1}, replicas={"min": 1, "max": 40})
    load = history(level=100.0)
    cold = evaluate_policy(policy, observed(history=load), KeptState(), now=now)
    assert cold.recommendation is not None
    # after a restart with the floor at 2 the forecast may add only one replica at a time;
    # the reactive floor (the current load) still wins where it is higher
    kept = replace(kept_state_from_status(cold.status), forecast_floor=2)
    resumed = evaluate_policy(policy, observed(history=load), kept, now=now + 300)
    assert resumed.recommendation is not None
    assert resumed.recommendation.forecast_floor == 3
    assert resumed.recommendation.replicas == max(3, resumed.recommendation.reactive_replicas)


def test_a_gap_at_the_end_is_stale_history(
    spec: SpecMaker, observed: ObservedMaker, history: HistoryMaker, now: float
) -> None:
    load = history()
    values = load.values.copy()
    values[-20:] = np.nan
    stale = observed(history=Series(load.start, load.step, values))
    result = evaluate_policy(spec(mode="recommend"), stale, KeptState(), now=now)
    assert conditions_of(result)["ForecastHealthy"] == ("False", "StaleHistory")
    assert result.forecast is not None and math.isnan(result.forecast.peak)
    assert result.recommendation is None

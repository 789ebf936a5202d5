"""The plain-data edges of a ScalingPolicy evaluation: stack choice, query window, the
steered object read from dicts, and the state kept in status."""

from __future__ import annotations

import pytest

from augur.api.scalingpolicy import ScalingPolicySpec
from augur.forecast.recommend import PastRecommendation
from augur.render.rules.promql_text import number
from augur.scaling.inputs import (
    QueryProblem,
    choose_stack,
    history_window,
    hpa_holder,
    is_paused,
    keda_owner,
    scaled_object_holder,
)
from augur.scaling.kept import KeptState, kept_state_from_status, kept_state_to_status
from augur.scaling.report import quantile_label
from augur.scaling.steering import FloorChange, clamp_floor, floor_patch, raise_floor, restore_floor

SPEC = ScalingPolicySpec.model_validate(
    {
        "targetRef": {"name": "web"},
        "metric": {"query": "load", "perReplicaCapacity": 50},
        "forecast": {"method": "holtWinters", "history": "1d", "step": "5m",
                     "seasonality": ["1d"], "horizon": "1h", "quantile": 0.95},
        "replicas": {"min": 2, "max": 40},
        "headroom": 0.2,
        "scaleUp": {"maxStep": 4},
        "scaleDown": {"maxStep": 1, "stabilizationWindow": "10m"},
    }
)  # fmt: skip


def test_one_selecting_stack_is_read() -> None:
    assert choose_stack(["monitoring/main"], None).stack == "monitoring/main"


def test_no_stack_is_a_problem() -> None:
    choice = choose_stack([], None)
    assert choice.problem is not None
    assert choice.problem.reason == "NoStackSelectsNamespace"
    assert not choice.problem.transient


def test_stack_ref_picks_among_several() -> None:
    assert choose_stack(["a/x", "b/y"], "b/y").stack == "b/y"


def test_stack_ref_to_a_stack_that_does_not_select_is_refused() -> None:
    choice = choose_stack(["a/x"], "b/y")
    assert choice.stack is None and choice.problem is not None
    assert choice.problem.reason == "StackRefNotSelecting"
    assert "b/y" in choice.problem.message and "a/x" in choice.problem.message


def test_history_window_is_aligned_to_the_step() -> None:
    window = history_window(SPEC, now=1_700_000_123.0)
    assert window.end == 1_700_000_100.0  # the last multiple of 300 s before now
    assert window.step == 300.0
    assert window.points == 288  # one day at 5m
    assert window.start == window.end - 287 * 300.0


def test_an_hpa_without_min_replicas_has_the_api_default() -> None:
    holder = hpa_holder(
        {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"maxReplicas": 9}}
    )
    assert (holder.min_replicas, holder.max_replicas, holder.original_min) == (1, 9, None)
    assert holder.min_field == "minReplicas"


def test_a_malformed_original_annotation_reads_as_not_raised() -> None:
    holder = hpa_holder(
        {
            "metadata": {"name": "w", "annotations": {"augur.dev/original-min-replicas": "x"}},
            "spec": {"minReplicas": 4, "maxReplicas": 9},
        }
    )
    assert holder.original_min is None


def test_keda_owned_hpas_are_steered_through_the_scaled_object() -> None:
    hpa = {
        "metadata": {
            "name": "keda-hpa-web",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "web"},
            ],
        }
    }
    assert keda_owner(hpa) == "web"
    assert keda_owner({"metadata": {"name": "plain"}}) is None
    scaled = scaled_object_holder(
        {"apiVersion": "keda.sh/v1alpha1", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"scaleTargetRef": {"name": "web"}}}
    )  # fmt: skip
    assert (scaled.min_replicas, scaled.max_replicas) == (0, 100)  # KEDA's defaults
    change = raise_floor(scaled, 7)
    assert change == FloorChange("Raise", 7, 0, 0)
    assert floor_patch(scaled, change) == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "annotations": {"augur.dev/original-min-replicas": "0"},
        },
        "spec": {"minReplicaCount": 7},
    }


def test_the_original_is_recorded_once_and_restored() -> None:
    raised = hpa_holder(
        {
            "metadata": {"name": "w", "annotations": {"augur.dev/original-min-replicas": "3"}},
            "spec": {"minReplicas": 10, "maxReplicas": 20},
        }
    )
    # raising further keeps the first original, not the raised value
    assert raise_floor(raised, 12) == FloorChange("Raise", 12, 3, 10)
    assert raise_floor(raised, 6) == FloorChange("Lower", 6, 3, 10)
    assert raise_floor(raised, 10) is None
    assert raise_floor(raised, 2) == FloorChange("Restore", 3, None, 10)
    assert restore_floor(raised) == FloorChange("Restore", 3, None, 10)
    plain = hpa_holder({"metadata": {"name": "w"}, "spec": {"minReplicas": 3, "maxReplicas": 20}})
    assert restore_floor(plain) is None


@pytest.mark.parametrize(
    ("recommended", "hpa_max", "expected", "note"),
    [
        (12, 30, 12, ""),
        (12, 8, 8, "ClampedToHPAMax"),
        (1, 30, 3, "AtOrBelowOwnMinimum"),  # replicas.min 2, the HPA's own 3
        (50, 60, 40, ""),  # replicas.max
    ],
)
def test_clamping(recommended: int, hpa_max: int, expected: int, note: str) -> None:
    holder = hpa_holder(
        {"metadata": {"name": "w"}, "spec": {"minReplicas": 3, "maxReplicas": hpa_max}}
    )
    clamped = clamp_floor(recommended, SPEC.replicas, holder)
    assert (clamped.min_replicas, clamped.note) == (expected, note)


def test_pause_annotation() -> None:
    assert is_paused({"annotations": {"augur.dev/paused": "true"}})
    assert is_paused({"annotations": {"augur.dev/paused": " True "}})
    assert not is_paused({"annotations": {"augur.dev/paused": "false"}})
    assert not is_paused({})


def test_kept_state_round_trips_through_status() -> None:
    state = KeptState(
        selected_method="holt_winters+linear",
        selected_at=1_700_000_000.0,
        forecast_floor=7,
        recent=(PastRecommendation(1_700_000_000.0, 7), PastRecommendation(1_700_000_300.0, 8)),
        failed_queries=2,
        steered="HorizontalPodAutoscaler/web",
    )
    status = {"evaluation": kept_state_to_status(state)}
    assert kept_state_from_status(status) == state


def test_a_cleared_kept_field_is_written_as_null() -> None:
    body = kept_state_to_status(KeptState())
    assert body["selectedMethod"] is None and body["steered"] is None


@pytest.mark.parametrize(
    "status",
    [
        None,
        {},
        {"evaluation": "garbage"},
        {"evaluation": {"selectedAt": "yesterday", "forecastFloor": "7", "failedQueries": True}},
        {"evaluation": {"recentRecommendations": [{"at": 5}, "x", {"at": "2023-11-14T22:13:20Z"}]}},
        {"applied": [], "conditions": "Ready"},
    ],
)
def test_a_malformed_status_resumes_empty(status: object) -> None:
    assert kept_state_from_status(status) == KeptState()  # type: ignore[arg-type]


def test_kept_state_reads_applied_and_condition_reasons() -> None:
    kept = kept_state_from_status(
        {
            "applied": {"minReplicas": 12, "at": "2023-11-14T22:13:20Z"},
            "conditions": [{"type": "Ready", "status": "False", "reason": "HPANotFound"}],
        }
    )
    assert (kept.applied_min, kept.applied_at) == (12, 1_700_000_000.0)
    assert kept.reason_of("Ready") == "HPANotFound"
    assert kept.reason_of("Applied") is None


@pytest.mark.parametrize("quantile", [0.5, 0.9, 0.95, 0.99, 0.975, 0.8, 0.75])
def test_quantile_labels_match_the_scaling_dashboard(quantile: float) -> None:
    for q in (quantile, round(1 - quantile, 6)):
        assert quantile_label(q) == number(q)


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("PrometheusUnreachable", True),
        ("PrometheusError", True),
        # a proxy's error page or a garbled answer is Prometheus failing, not the policy:
        # the floor is held for the grace period, as for an outage
        ("PrometheusAnswerInvalid", True),
        ("QueryReturnedNoSeries", False),
        ("InvalidQuery", False),
    ],
)
def test_which_query_problems_let_the_floor_be_held(reason: str, transient: bool) -> None:
    assert QueryProblem(reason, "…").transient is transient

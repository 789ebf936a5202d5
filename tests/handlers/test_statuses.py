"""Status as users read it: stack conditions, policy acceptance, KPI arithmetic, metrics."""

from __future__ import annotations

from augur.api.resources import Problem, parse_resource
from augur.handlers.kpi import achievement, error_budget_remaining, kpi_query, trend
from augur.handlers.statuses import PolicyView, StackOutcome, policy_status, stack_status
from augur.metrics import OperatorMetrics


def conditions(status: dict[str, object]) -> dict[str, tuple[object, object]]:
    items = status["conditions"]
    assert isinstance(items, list)
    return {c["type"]: (c["status"], c["reason"]) for c in items}


def test_stack_is_ready_when_applied_and_components_ready() -> None:
    outcome = StackOutcome(generation=3, objects=4, components={"prometheus": {"ready": "1/1"}})
    status = stack_status(outcome, {}, "t")
    assert status["observedGeneration"] == 3
    assert conditions(status) == {
        "Ready": ("True", "AllComponentsReady"),
        "Reconciled": ("True", "Applied"),
        "Degraded": ("False", "AsExpected"),
    }


def test_stack_waits_for_components_and_reports_failures() -> None:
    waiting = StackOutcome(generation=1, components={"alertmanager": {"ready": "0/2"}})
    assert conditions(stack_status(waiting, {}, "t"))["Ready"] == ("False", "ComponentsNotReady")
    failed = StackOutcome(generation=1, apply_errors=["ConfigMap/x: denied"], rejected=1)
    got = conditions(stack_status(failed, {}, "t"))
    assert got["Reconciled"] == ("False", "ApplyFailed")
    assert got["Degraded"] == ("True", "PoliciesRejected")


def test_policy_acceptance() -> None:
    invalid = policy_status(2, (Problem("spec.alerts[0].expr", "bad"),), {}, {}, "t")
    assert conditions(invalid)["Accepted"] == ("False", "InvalidSpec")
    assert invalid["invalid"] == [{"message": "spec.alerts[0].expr: bad", "alert": "#0"}]
    loaded = policy_status(2, (), {"monitoring/platform": PolicyView(rules=3)}, {}, "t")
    assert conditions(loaded)["Ready"] == ("True", "Loaded")
    assert loaded["stacks"] == ["monitoring/platform"]
    missing = policy_status(
        2,
        (),
        {"m/p": PolicyView(rules=1, missing_secrets=("Secret shop/slack not found",))},
        {},
        "t",
    )
    assert conditions(missing)["SecretsResolved"] == ("False", "SecretMissing")
    assert conditions(policy_status(2, (), {}, {}, "t"))["Ready"] == ("False", "NotSelected")


def kpi(comparison: str = ">=") -> object:
    return parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "BusinessKPI",
            "metadata": {"name": "k", "namespace": "ml"},
            "spec": {
                "indicator": {
                    "ratio": {
                        "good": 'sum(rate(t_total{s="ok"}[{{window}}]))',
                        "total": "sum(rate(t_total[{{window}}]))",
                    }
                },
                "objective": {"target": 0.95, "comparison": comparison, "window": "30d"},
            },
        }
    )


def test_kpi_arithmetic() -> None:
    resource = kpi()
    spec = resource.spec  # type: ignore[attr-defined]
    assert "[30d]" in kpi_query(spec)
    assert achievement(spec, 0.969) == 0.969 / 0.95
    budget = error_budget_remaining(spec, 0.98)
    assert budget is not None and abs(budget - 0.6) < 1e-9
    assert trend(spec, 0.96, 0.90) == "improving"
    assert trend(spec, 0.96, 0.959) == "stable"
    assert trend(spec, 0.90, 0.96) == "declining"


def test_metrics_exposition_names_every_metric() -> None:
    metrics = OperatorMetrics.create()
    metrics.reconcile_duration.labels("m/p").observe(0.2)
    metrics.kpi_evaluations.labels("unreachable").inc()
    text = metrics.exposition().decode()
    assert 'augur_reconcile_duration_seconds_count{stack="m/p"} 1.0' in text
    assert 'augur_kpi_evaluations_total{result="unreachable"} 1.0' in text
    metrics.forget_stack("m/p")

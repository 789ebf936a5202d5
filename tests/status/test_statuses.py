"""Status as users read it: stack conditions, policy acceptance, KPI arithmetic, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.resources import Problem, parse_resource
from augur.metrics import OperatorMetrics
from augur.render.rules.files import rule_file_path
from augur.render.selection import default_stack, inputs_for, stacks_of
from augur.render.stack import rerender_stack
from augur.status.catalog import ParseCache
from augur.status.conditions import Cond
from augur.status.kpi import achievement, error_budget_remaining, kpi_query, trend
from augur.status.kpi_status import combined_kpi_values
from augur.status.statuses import (
    PolicyView,
    StackOutcome,
    policy_status,
    rules_in_file,
    stack_status,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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
        "OutputChecked": ("True", "Checked"),
    }


def test_output_left_unchecked_is_a_condition_never_a_failure() -> None:
    outcome = StackOutcome(generation=1, objects=2, unchecked=["no amtool: 3 outputs not checked"])
    status = stack_status(outcome, {}, "t")
    got = conditions(status)
    assert got["OutputChecked"] == ("False", "CheckSkipped")
    assert got["Ready"] == ("True", "AllComponentsReady")
    checked = next(c for c in status["conditions"] if c["type"] == "OutputChecked")
    assert checked["message"] == "no amtool: 3 outputs not checked"
    failed = StackOutcome(generation=1, render_error="render failed: boom")
    assert conditions(stack_status(failed, {}, "t"))["OutputChecked"] == ("Unknown", "NotRendered")


def test_stack_waits_for_components_and_reports_failures() -> None:
    waiting = StackOutcome(generation=1, components={"alertmanager": {"ready": "0/2"}})
    assert conditions(stack_status(waiting, {}, "t"))["Ready"] == ("False", "ComponentsNotReady")
    failed = StackOutcome(generation=1, apply_errors=["ConfigMap/x: denied"], rejected=1)
    got = conditions(stack_status(failed, {}, "t"))
    assert got["Reconciled"] == ("False", "ApplyFailed")
    assert got["Degraded"] == ("True", "PoliciesRejected")


def test_policy_acceptance() -> None:
    invalid = policy_status(
        2, (Problem("spec.alerts[1].expr", "bad"),), {}, {}, "t", ("Fine", "Broken")
    )
    assert conditions(invalid)["Accepted"] == ("False", "InvalidSpec")
    assert invalid["invalid"] == [{"message": "spec.alerts[1].expr: bad", "alert": "Broken"}]
    unnamed = policy_status(2, (Problem("spec.alerts[3].expr", "bad"),), {}, {}, "t", ("A",))
    assert unnamed["invalid"] == [{"message": "spec.alerts[3].expr: bad"}]
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
    assert "[30d]" in kpi_query(resource, default_stack())  # type: ignore[arg-type]
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


def test_policy_rules_are_the_rules_rendered_for_it() -> None:
    body = yaml.safe_load((EXAMPLES / "shop" / "20-alertpolicy-api.yaml").read_text())
    body["metadata"].update(uid="u", generation=1)
    body["spec"]["alerts"][0]["description"] = "line one\n  - not a rule\nline three"
    entry = ParseCache().entry(body)
    assert entry.alert_names == tuple(a["name"] for a in body["spec"]["alerts"])
    assert entry.resource is not None, entry.problems
    inventory = Inventory()
    inventory.add(entry.resource)
    inventory.sort()
    # The status counts what the render kept for the policy (StackMemo.rule_count).
    output, memo = rerender_stack(inputs_for(stacks_of(inventory)[0], inventory))
    rendered = memo.rule_files[f"AlertPolicy/{entry.key}"]
    assert rendered.path == rule_file_path("AlertPolicy", entry.namespace, entry.name)  # bench/
    loaded = yaml.safe_load(output.files[rendered.path])
    expected = sum(len(group["rules"]) for group in loaded["groups"])
    assert expected > len(body["spec"]["alerts"])  # anomaly recordings count too
    assert memo.rule_count("AlertPolicy", entry.key) == expected
    # The e2e tests count the rules in the live ConfigMaps the same way.
    assert rules_in_file(output.files[rendered.path]) == expected
    assert rules_in_file("") == 0


def test_kpi_selected_by_several_stacks_reports_each() -> None:
    ready = [Cond("Ready", "True", "Evaluated", "read from Prometheus")]
    readings: dict[str, tuple[list[Cond], dict[str, Any]]] = {
        "ops/b": (ready, {"current": 0.9}),
        "ops/a": (ready, {"current": 0.8, "trend": "stable"}),
    }
    conds, values = combined_kpi_values(readings, ["ops/a", "ops/b", "ops/c"])
    assert conds == ready
    assert values == {"current": 0.8, "trend": "stable", "byStack": {"ops/a": 0.8, "ops/b": 0.9}}
    _, alone = combined_kpi_values({"ops/a": (ready, {"current": 0.8})}, ["ops/a"])
    assert alone == {"current": 0.8}
    waiting, nothing = combined_kpi_values({}, ["ops/a"])
    assert nothing == {} and waiting[1].status == "Unknown"


def test_stack_status_shows_rule_shards_and_rule_files_not_loaded() -> None:
    from augur.render.prometheus.rule_shards import SHARD_LIMIT_BYTES, shard_rule_files
    from augur.status.statuses import rule_shards_status

    files = {f"prometheus/rules/p{i}.yaml": "x" * 4000 for i in range(100)}
    files["prometheus/rules/huge.yaml"] = "x" * (SHARD_LIMIT_BYTES + 1)
    shards = shard_rule_files(files)
    outcome = StackOutcome(
        generation=1,
        rule_shards=rule_shards_status(shards),
        rules_left_out=list(shards.left_out),
    )
    status = stack_status(outcome, {}, "t")
    assert status["ruleShards"] == {
        "count": 8,
        "usedKiB": shards.used_bytes // 1024,
        "freeKiB": (8 * SHARD_LIMIT_BYTES - shards.used_bytes) // 1024,
        "fullestPercent": round(max(shards.sizes) * 100 / SHARD_LIMIT_BYTES),
        "leftOut": 1,
    }
    assert 390 <= status["ruleShards"]["usedKiB"] <= 400
    assert conditions(status)["Degraded"] == ("True", "RulesNotLoaded")
    # Without Prometheus there are no shards: the field is removed (null in a merge patch).
    assert stack_status(StackOutcome(generation=1), {}, "t")["ruleShards"] is None


def test_stack_status_counts_prometheus_rules_and_says_why_one_is_not_loaded() -> None:
    from augur.status.statuses import promoperator_rejections

    rejected = {
        "AlertPolicy/shop/a": [Problem("spec", "routed nowhere")],
        "PrometheusRule/cache/redis": [Problem("", "promtool refuses its rules: bad")],
    }
    invalid = {"PrometheusRule/db/pg": "spec.groups: group name(s) 'pg' used twice"}
    found = promoperator_rejections(rejected, invalid)
    assert found == [
        "PrometheusRule/cache/redis: promtool refuses its rules: bad",
        "PrometheusRule/db/pg: spec.groups: group name(s) 'pg' used twice",
    ]
    outcome = StackOutcome(
        generation=1, prometheus_rules=4, rejected=3, promoperator_rejected=found
    )
    status = stack_status(outcome, {}, "t")
    assert status["selected"]["prometheusRules"] == 4
    assert status["selected"]["rejected"] == 3
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["reason"] == "PoliciesRejected"
    assert (
        "not loaded: PrometheusRule/cache/redis: promtool refuses its rules: bad"
        in (degraded["message"])
    )

"""Every status the operator writes fits its kind's typed status schema: no field the API
server would prune, none it would refuse (the status builders' outputs, checked against the
generated CRDs and the status models)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from augur.api.crd import all_crds
from augur.api.resources import KINDS, BusinessKPI, Problem, parse_resource
from augur.api.scalingpolicy import ScalingPolicySpec
from augur.controllers.scaling_report import merged_status
from augur.forecast.series import Series
from augur.scaling.evaluate import Observed
from augur.scaling.inputs import hpa_holder
from augur.scaling.kept import KeptState
from augur.scaling.policy import evaluate_policy
from augur.status.conditions import Cond
from augur.status.kpi import KPIReading
from augur.status.kpi_status import (
    combined_kpi_values,
    invalid_kpi_status,
    kpi_status,
    null_gone_stacks,
    read_outcome,
)
from augur.status.rule_tests import RuleTestEntry, RuleTestRun, rule_tests_status
from augur.status.statuses import PolicyView, StackOutcome, policy_status, stack_status

NOW = "2025-06-01T12:00:00Z"


def status_schema(kind: str) -> dict[str, Any]:
    (crd,) = next(docs for docs in all_crds().values() if docs[0]["spec"]["names"]["kind"] == kind)
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema["properties"]["status"]


def merge_patched(patch: Any) -> Any:
    """What a JSON merge patch of `patch` onto nothing stores: nulls remove fields."""
    if isinstance(patch, dict):
        return {k: merge_patched(v) for k, v in patch.items() if v is not None}
    if isinstance(patch, list):
        return [merge_patched(v) for v in patch]
    return patch


TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


def schema_problems(value: Any, schema: dict[str, Any], path: str = "status") -> list[str]:
    """Where `value` leaves a structural schema: fields the API server would prune (not in
    `properties`), and values of the wrong type or outside an enum."""
    expected = TYPES.get(schema.get("type", ""))
    if expected is not None and (
        not isinstance(value, expected) or (expected is int and isinstance(value, bool))
    ):
        return [f"{path}: {type(value).__name__} where the schema says {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not one of {schema['enum']}"]
    problems: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                problems += schema_problems(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, f"{path}.{key}")
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                problems.append(f"{path}.{key}: not in the schema (pruned)")
        missing = set(schema.get("required", [])) - set(value)
        problems += [f"{path}.{key}: required" for key in sorted(missing)]
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += schema_problems(item, schema.get("items", {}), f"{path}[{index}]")
    return problems


def check(kind: str, patch: dict[str, Any]) -> None:
    stored = merge_patched(patch)
    assert schema_problems(stored, status_schema(kind)) == []
    KINDS[kind].status_model.model_validate(stored, by_alias=True, by_name=False)


def kpi() -> BusinessKPI:
    resource = parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "BusinessKPI",
            "metadata": {"name": "checkout", "namespace": "shop", "generation": 2},
            "spec": {
                "indicator": {
                    "ratio": {
                        "good": 'sum(rate(t_total{s="ok"}[{{window}}]))',
                        "total": "sum(rate(t_total[{{window}}]))",
                    }
                },
                "objective": {"target": 0.99, "window": "30d"},
                "groupBy": ["region"],
            },
        }
    )
    assert isinstance(resource, BusinessKPI)
    return resource


def test_the_schema_check_sees_a_pruned_field_and_a_wrong_type() -> None:
    schema = status_schema("AlertPolicy")
    assert schema_problems({"rulez": 1}, schema) == ["status.rulez: not in the schema (pruned)"]
    assert schema_problems({"rules": "3"}, schema) == [
        "status.rules: str where the schema says integer"
    ]
    condition = {"type": "Ready", "status": "Yes", "reason": "Ok", "message": ""}
    assert schema_problems({"conditions": [condition]}, schema) == [
        "status.conditions[0].status: 'Yes' not one of ['True', 'False', 'Unknown']",
        "status.conditions[0].lastTransitionTime: required",
    ]


def test_a_stacks_status_fits() -> None:
    outcome = StackOutcome(
        generation=3,
        policies=2,
        kpis=1,
        scaling_policies=1,
        rules=12,
        rejected=1,
        objects=30,
        apply_errors=["ConfigMap/x: denied"],
        missing_secrets=["Secret shop/slack not found"],
        components={
            "prometheus": {"ready": "2/2", "image": "quay.io/prometheus/prometheus:v3.5.0"},
            "alertmanager": {"ready": "0/1"},
        },
        endpoints={"prometheus": "http://p.monitoring.svc:9090", "otlpGrpc": "j.svc:4317"},
    )
    check("MonitoringStack", stack_status(outcome, {}, NOW))
    check("MonitoringStack", stack_status(StackOutcome(generation=None), {}, NOW))


def test_an_alert_policys_status_fits() -> None:
    failed = RuleTestEntry("quiet", False, "at 5m: expected no Down firing, but it was")
    tests = rule_tests_status(
        ("fires", "quiet"), RuleTestRun((RuleTestEntry("fires", True), failed)), loaded=True
    )
    views = {
        "monitoring/a": PolicyView(rules=3),
        "monitoring/b": PolicyView(rules=3, missing_secrets=("Secret shop/slack not found",)),
    }
    check("AlertPolicy", policy_status(2, (), views, {}, NOW, ("A",), tests))
    invalid = (Problem("spec.alerts[0].expr", "bad"), Problem("spec.routing", "bad"))
    pending = rule_tests_status(("fires",), None, loaded=False)
    check("AlertPolicy", policy_status(2, invalid, {}, {}, NOW, ("A",), pending))


def test_a_business_kpis_status_fits() -> None:
    resource = kpi()
    reading = KPIReading(0.97, [({"region": "eu"}, 0.97), ({"region": "us"}, 0.995)])
    outcome = read_outcome(resource.spec, reading, 0.98, NOW)
    conds, values = combined_kpi_values({"m/a": outcome, "m/b": outcome}, ["m/a", "m/b"])
    values = null_gone_stacks(values, {"byStack": {"m/gone": 0.5}})
    check("BusinessKPI", kpi_status(resource, conds, values, {}, NOW))
    check("BusinessKPI", invalid_kpi_status("spec.objective.target: bad", 2, {}, NOW))


def scaling_inputs(mode: str) -> tuple[ScalingPolicySpec, Observed]:
    spec = ScalingPolicySpec.model_validate(
        {
            "targetRef": {"name": "web"},
            "hpaRef": {"name": "web"},
            "metric": {"query": "sum(rate(requests_total[5m]))", "perReplicaCapacity": 10},
            "forecast": {"history": "2d", "step": "5m", "horizon": "30m"},
            "replicas": {"min": 2, "max": 40},
            "mode": mode,
        }
    )
    steps = np.arange(2 * 288, dtype=np.float64)
    load = 100 + 20 * np.sin(2 * np.pi * steps / 288)
    hpa = hpa_holder(
        {
            "apiVersion": "autoscaling/v2",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"minReplicas": 2, "maxReplicas": 40, "scaleTargetRef": {"name": "web"}},
        }
    )
    history = Series(SCALING_NOW - (len(load) - 1) * 300.0, 300.0, load)
    return spec, Observed(history, target_found=True, current_replicas=9, holder=hpa)


SCALING_NOW = 1_700_000_100.0


@pytest.mark.parametrize("mode", ["recommend", "apply"])
def test_a_scaling_policys_status_fits(mode: str) -> None:
    spec, observed = scaling_inputs(mode)
    result = evaluate_policy(spec, observed, KeptState(), now=SCALING_NOW, generation=4)
    assert result.status["forecast"]["points"]
    if mode == "apply":
        assert result.status["applied"] is not None
    check("ScalingPolicy", merged_status(result.status, result.conditions, {}, 4, NOW))
    invalid = [Cond("Ready", "False", "InvalidSpec", "spec.replicas: bad")]
    check("ScalingPolicy", merged_status({"observedGeneration": 5}, invalid, {}, 5, NOW))

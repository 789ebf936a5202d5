"""A BusinessKPI's status from readings: values, conditions, and stacks that stopped reading."""

from __future__ import annotations

from dataclasses import dataclass

from augur.api.resources import BusinessKPI, Problem, parse_resource
from augur.status.kpi import KPIReading, worst
from augur.status.kpi_status import (
    invalid_kpi_status,
    kpi_status,
    not_selected,
    null_gone_stacks,
    prometheus_unreachable,
    read_outcome,
)


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


def latency_kpi(group_by: list[str] | None = None) -> BusinessKPI:
    resource = parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "BusinessKPI",
            "metadata": {"name": "latency", "namespace": "shop", "generation": 4},
            "spec": {
                "indicator": {"value": "histogram_quantile(0.99, x)"},
                "objective": {"target": 0.5, "comparison": "<=", "window": "1h"},
                **({"groupBy": group_by} if group_by else {}),
            },
        }
    )
    assert isinstance(resource, BusinessKPI)
    return resource


def conditions(conds: list[object]) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in conds}  # type: ignore[attr-defined]


def test_no_data_is_not_ready() -> None:
    conds, values = read_outcome(latency_kpi().spec, KPIReading(None), None, "t")
    assert conditions(conds)["Ready"] == ("False", "NoData")  # type: ignore[arg-type]
    assert values == {"lastEvaluated": "t"}


def test_a_reading_gives_values_and_the_objective() -> None:
    spec = latency_kpi(["region"]).spec
    reading = worst(spec, [Sample({"region": "eu"}, 0.4), Sample({"region": "us"}, 0.6)])
    assert reading.current == 0.6  # lower is better: the worst is the highest
    conds, values = read_outcome(spec, reading, 0.3, "t")
    assert conditions(conds) == {  # type: ignore[arg-type]
        "Accepted": ("True", "Valid"),
        "Ready": ("True", "Evaluated"),
        "ObjectiveMet": ("False", "OffTarget"),
    }
    assert values["current"] == 0.6
    assert values["achievement"] == round(0.5 / 0.6, 6)
    assert values["errorBudgetRemaining"] is None  # not a ratio KPI
    assert values["trend"] == "declining"
    assert values["dimensions"] == [
        {"labels": {"region": "us"}, "value": 0.6},
        {"labels": {"region": "eu"}, "value": 0.4},
    ]


def test_status_carries_the_target_and_merged_conditions() -> None:
    kpi = latency_kpi()
    status = kpi_status(kpi, not_selected(), {}, {}, "t")
    assert status["observedGeneration"] == 4 and status["target"] == 0.5
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("Accepted", "Valid"),
        ("Ready", "NotSelected"),
    ]
    unreachable, _ = prometheus_unreachable("mon/a", "http://p:9090", "refused")
    assert "http://p:9090" in unreachable[1].message


def test_invalid_kpi_status_says_why() -> None:
    problems = (Problem("spec.objective.target", "must be > 0"),)
    status = invalid_kpi_status(str(problems[0]), 2, {}, "t")
    accepted = status["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "InvalidSpec")
    assert accepted["message"] == "spec.objective.target: must be > 0"


def test_stacks_that_stopped_reading_are_nulled() -> None:
    existing = {"byStack": {"mon/a": 0.1, "mon/b": 0.2}}
    assert null_gone_stacks({"byStack": {"mon/a": 0.3}}, existing) == {
        "byStack": {"mon/a": 0.3, "mon/b": None}
    }
    assert null_gone_stacks({"current": 0.3}, existing) == {"current": 0.3, "byStack": None}
    assert null_gone_stacks({"current": 0.3}, {}) == {"current": 0.3}

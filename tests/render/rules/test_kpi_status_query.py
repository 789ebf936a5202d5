"""A BusinessKPI's status query is built by the code of its recording rules."""

from __future__ import annotations

from typing import Any

import promql_parser

from augur.api.businesskpi import BusinessKPISpec
from augur.render.rules.kpi import VALUE, kpi_rules, kpi_status_query
from augur.render.rules.tenancy import RuleScope


def _spec(indicator: dict[str, Any], group_by: list[str] | None = None) -> BusinessKPISpec:
    return BusinessKPISpec.model_validate(
        {
            "indicator": indicator,
            "objective": {"target": 0.95, "comparison": ">=", "window": "30d"},
            "groupBy": group_by or [],
        }
    )


RATIO = {
    "ratio": {
        "good": 'rate(t_total{s="ok"}[{{window}}])',
        "total": "rate(t_total[{{window}}])",
    }
}


def test_a_ratio_kpi_is_good_over_total_over_its_window_per_dimension() -> None:
    query = kpi_status_query(_spec(RATIO, ["region"]))
    assert query == (
        '(sum by (region) (rate(t_total{s="ok"}[30d]))) / (sum by (region) (rate(t_total[30d])))'
    )
    promql_parser.parse(query)


def test_a_value_kpi_is_the_value_its_recording_rule_records() -> None:
    spec = _spec({"value": "score"}, ["model"])
    [recorded] = [r for r in kpi_rules("k", spec, RuleScope("shop")) if r.get("record") == VALUE]
    assert kpi_status_query(spec) == recorded["expr"] == "min by (model) (score)"


def test_scalars_and_aggregated_queries_are_taken_as_the_rules_take_them() -> None:
    assert kpi_status_query(_spec({"value": "scalar(sum(x))"})) == "vector(scalar(sum(x)))"
    good, total = "sum by (region) (rate(g[{{window}}]))", "sum by (region) (rate(t[{{window}}]))"
    aggregated = {"ratio": {"good": good, "total": total}}
    assert kpi_status_query(_spec(aggregated, ["region"])) == (
        "(sum by (region) (rate(g[30d]))) / (sum by (region) (rate(t[30d])))"
    )


def test_a_scope_restricts_the_queries_as_it_restricts_the_rules() -> None:
    scope = RuleScope("shop", enforce_label="tenant")
    query = kpi_status_query(_spec(RATIO), scope)
    assert query.count('tenant="shop"') == 2
    assert kpi_status_query(_spec(RATIO)).count("tenant") == 0

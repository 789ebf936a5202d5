"""Property: any valid generated set of AlertPolicies and BusinessKPIs renders, and every rule
file passes promtool (one promtool call for all generated examples)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rulehelpers import promtool_check

from augur.api.inventory import Inventory
from augur.api.resources import InvalidObject, parse_resource
from augur.render.rules.files import render_rule_files
from augur.render.selection import default_stack, inputs_for

EXPRS = [
    "up == 0",
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) > 1',
    "vector(1)",
    "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))) > 0.5 # slow",
]
severities = st.sampled_from(["critical", "high", "medium", "warning", "low", "info"])
durations = st.sampled_from(["0s", "30s", "5m", "1h30m", "1d"])
numbers = st.floats(min_value=0.001, max_value=1e6, allow_nan=False).map(lambda f: round(f, 4))


@st.composite
def alert(draw: st.DrawFn, index: int) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"Alert{index}", "severity": draw(severities)}
    if draw(st.booleans()):
        body["expr"] = draw(st.sampled_from(EXPRS))
    else:
        body["anomaly"] = {
            "query": draw(st.sampled_from(["sum(rate(x[5m]))", "max(queue) # q", "scalar(up)"])),
            "algorithm": draw(st.sampled_from(["zscore", "robust"])),
            "sensitivity": draw(st.floats(min_value=0.1, max_value=10).map(lambda f: round(f, 3))),
            "seasonality": draw(st.sampled_from(["none", "1d", "1w"])),
            "direction": draw(st.sampled_from(["above", "below", "both"])),
            "window": draw(st.sampled_from(["10m", "1h", "3d"])),
        }
        if draw(st.booleans()):
            body["anomaly"]["minimum"] = draw(numbers)
    body["for"] = draw(durations)
    body["labels"] = draw(
        st.dictionaries(st.sampled_from(["team", "service"]), st.text("ab c", max_size=3))
    )
    return body


@st.composite
def policy(draw: st.DrawFn, namespace: str) -> dict[str, Any]:
    count = draw(st.integers(min_value=0, max_value=3))
    spec: dict[str, Any] = {"alerts": [draw(alert(i)) for i in range(count)]}
    if draw(st.booleans()):
        spec["routing"] = {
            "escalation": [{"severities": ["high", "medium"], "after": "10m", "to": "critical"}]
        }
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": spec,
    }


@st.composite
def kpi(draw: st.DrawFn, namespace: str) -> dict[str, Any]:
    comparison = draw(st.sampled_from([">=", ">", "<=", "<"]))
    window = draw(st.sampled_from(["1d", "7d", "28d", "30d", "90d"]))
    if draw(st.booleans()):
        indicator: dict[str, Any] = {
            "ratio": {
                "good": 'sum by (model) (rate(t_total{status="ok"}[{{window}}]))',
                "total": "sum by (model) (rate(t_total[{{window}}]))",
            }
        }
        target = draw(st.floats(min_value=0.5, max_value=0.99999).map(lambda f: round(f, 5)))
        comparison = draw(st.sampled_from([">=", ">"]))
    else:
        indicator = {"value": draw(st.sampled_from(["avg(score)", "scalar(sum(x))", "score"]))}
        target = draw(numbers)
    alerting: dict[str, Any] = {}
    if draw(st.booleans()):
        alerting["breach"] = {"for": draw(durations)}
    if draw(st.booleans()):
        alerting["forecastBreach"] = {"horizon": "1d"}
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": "k", "namespace": namespace},
        "spec": {
            "indicator": indicator,
            "groupBy": ["model"] if draw(st.booleans()) else [],
            "objective": {"target": target, "comparison": comparison, "window": window},
            "alerting": alerting,
        },
    }


@pytest.mark.tools
def test_generated_objects_render_and_pass_promtool(promtool: Path, tmp_path: Path) -> None:
    written: list[Path] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        policy("team-a"),
        kpi("team-a"),
        policy("monitoring"),
        st.sampled_from([None, "namespace", "tenant"]),
    )
    def check(a: dict[str, Any], k: dict[str, Any], m: dict[str, Any], label: str | None) -> None:
        inventory = Inventory()
        try:
            for doc in (a, k, m):
                inventory.add(parse_resource(doc))
        except InvalidObject:
            assume(False)
        stack = default_stack()
        stack.spec.tenancy.enforce_namespace_label = label
        rendered = render_rule_files(inputs_for(stack, inventory))
        assert not rendered.rejected
        for rule_file in rendered.files:
            path = tmp_path / f"{len(written)}.yaml"
            path.write_text(rule_file.text())
            written.append(path)

    check()
    assert written
    result = promtool_check(promtool, written)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

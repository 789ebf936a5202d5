"""KPI alerts routed through an AlertPolicy of their namespace (`alerting.policyRef`), asked of
amtool: the labels of the rendered KPI rules, through the rendered configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from augur.render.alertmanager import render_alertmanager_config
from augur.render.rules.files import render_rule_files
from augur.render.selection import StackInputs

pytestmark = pytest.mark.tools

GOLDEN = Path(__file__).resolve().parent / "golden"
RoutesTest = Callable[[str, dict[str, str]], list[str]]
LoadInputs = Callable[[str], StackInputs]


@pytest.fixture
def inputs(load_inputs: LoadInputs) -> StackInputs:
    return load_inputs((GOLDEN / "kpi-routing.in.yaml").read_text())


@pytest.fixture
def config(inputs: StackInputs) -> str:
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    assert not rendered.rejected
    return rendered.text()


def alert_labels(inputs: StackInputs, source: str, alert: str, severity: str) -> dict[str, str]:
    """The labels a rendered rule gives an alert (alertname included)."""
    rules: list[dict[str, Any]] = [
        rule
        for rule_file in render_rule_files(inputs).files
        if rule_file.source == source
        for group in rule_file.groups
        for rule in group["rules"]
    ]
    found = [r for r in rules if r.get("alert") == alert and r["labels"]["severity"] == severity]
    assert found, f"no {alert} of severity {severity} in {source}"
    return {"alertname": alert, **found[0]["labels"]}


CHECKOUT = "BusinessKPI/shop/checkout-availability"


def test_a_critical_burn_rate_alert_pages_through_the_referenced_policy(
    routes_test: RoutesTest, inputs: StackInputs, config: str
) -> None:
    page = alert_labels(inputs, CHECKOUT, "KPIErrorBudgetBurn", "critical")
    assert page["augur_policy"] == "payments"
    assert routes_test(config, page) == ["shop/payments/pager"]


@pytest.mark.parametrize(
    ("alert", "severity"),
    [("KPIErrorBudgetBurn", "medium"), ("KPIBreach", "high"), ("KPIForecastBreach", "medium")],
)
def test_lower_severities_take_the_policys_other_routes(
    routes_test: RoutesTest, inputs: StackInputs, config: str, alert: str, severity: str
) -> None:
    labels = alert_labels(inputs, CHECKOUT, alert, severity)
    assert routes_test(config, labels) == ["shop/payments/tickets"]


def test_a_kpi_reaches_only_the_policy_of_its_own_namespace(
    routes_test: RoutesTest, inputs: StackInputs, config: str
) -> None:
    # both namespaces have a policy named payments: each KPI pages its own namespace's
    breach = alert_labels(inputs, "BusinessKPI/team-b/order-value", "KPIBreach", "critical")
    assert routes_test(config, breach) == ["team-b/payments/b-pager"]
    page = alert_labels(inputs, CHECKOUT, "KPIErrorBudgetBurn", "critical")
    assert routes_test(config, {**page, "tenant": "team-b"}) == ["nobody"]


def test_without_policy_ref_a_kpi_alert_goes_to_the_default_receiver(
    routes_test: RoutesTest, inputs: StackInputs, config: str
) -> None:
    page = alert_labels(inputs, CHECKOUT, "KPIErrorBudgetBurn", "critical")
    del page["augur_policy"]
    assert routes_test(config, page) == ["nobody"]

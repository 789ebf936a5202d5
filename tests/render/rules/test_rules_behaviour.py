"""The rendered rules behave: `promtool test rules` suites built here prove alerts fire when
they should and stay quiet when they should not."""

from __future__ import annotations

import math
from typing import Any

import pytest
from rulehelpers import PromtoolTests, firing, never_fired, render_text

pytestmark = pytest.mark.tools


def policy(alerts: str, extra: str = "", namespace: str = "shop") -> str:
    return (
        "apiVersion: augur.dev/v1alpha1\nkind: AlertPolicy\n"
        f"metadata: {{name: api, namespace: {namespace}}}\nspec:\n  alerts:\n{alerts}{extra}"
    )


def test_static_alert_fires_after_for_and_not_before(promtool_tests: PromtoolTests) -> None:
    rules = render_text(
        policy("    - {name: QueueFull, severity: high, expr: queue_depth > 10, for: 5m}\n")
    )
    labels = {
        "alertname": "QueueFull",
        "severity": "high",
        "namespace": "shop",
        "augur_policy": "api",
        "queue": "orders",
    }
    test = {
        "name": "static",
        "interval": "1m",
        "input_series": [{"series": 'queue_depth{queue="orders"}', "values": "0 20x20"}],
        "alert_rule_test": [
            {"alertname": "QueueFull", "eval_time": "5m", "exp_alerts": []},
            {"alertname": "QueueFull", "eval_time": "6m", "exp_alerts": [{"exp_labels": labels}]},
        ],
    }
    promtool_tests(rules.files, [test])


def daily_pattern(days: int, step_minutes: int, spike_at: int | None = None) -> str:
    """A daily wave with deterministic wobble, repeated exactly each day; optional spike."""
    per_day = 24 * 60 // step_minutes
    day = [
        round(100 + 50 * math.sin(2 * math.pi * i / per_day) + 4 * math.sin(i * 1.7), 3)
        for i in range(per_day)
    ]
    values = day * days
    if spike_at is not None:
        for i in range(spike_at, spike_at + 8):
            values[i] = 400.0
    return " ".join(str(v) for v in values)


@pytest.mark.parametrize("algorithm", ["zscore", "robust"])
def test_anomaly_fires_on_a_spike_and_not_on_last_periods_pattern(
    algorithm: str, promtool_tests: PromtoolTests
) -> None:
    alert = (
        "    - name: Odd\n      severity: medium\n      for: 4m\n"
        f"      anomaly: {{query: sum(load), algorithm: {algorithm}, seasonality: 1d,"
        " sensitivity: 3, direction: both}\n"
    )
    rules = render_text(policy(alert))
    step = 2
    per_day = 24 * 60 // step
    spike = per_day + 14 * 60 // step  # day 2, 14:00
    tests: list[dict[str, Any]] = [
        {
            "name": f"{algorithm}-repeat-is-quiet",
            "interval": f"{step}m",
            "input_series": [{"series": "load", "values": daily_pattern(2, step)}],
            "promql_expr_test": [never_fired("Odd", "47h", "23h")],
        },
        {
            "name": f"{algorithm}-spike-fires",
            "interval": f"{step}m",
            "input_series": [{"series": "load", "values": daily_pattern(2, step, spike)}],
            "promql_expr_test": [
                firing("Odd", "38h2m", False),
                firing("Odd", "38h10m", True, severity="medium", augur_anomaly="Odd"),
                never_fired("Odd", "37h58m", "13h"),
            ],
        },
    ]
    promtool_tests(rules.files, tests)


KPI = """apiVersion: augur.dev/v1alpha1
kind: BusinessKPI
metadata: {{name: checkout, namespace: shop}}
spec:
  indicator:
    ratio:
      good: sum(rate(requests_total{{code!~"5.."}}[{{{{window}}}}]))
      total: sum(rate(requests_total[{{{{window}}}}]))
  objective: {{target: 0.999, window: 30d}}
  alerting:
    burnRate: {{pageSeverity: critical, ticketSeverity: medium}}
{extra}"""


def requests(ok_per_minute: str, errors_per_minute: str) -> list[dict[str, str]]:
    return [
        {"series": 'requests_total{code="200"}', "values": ok_per_minute},
        {"series": 'requests_total{code="500"}', "values": errors_per_minute},
    ]


def test_ratio_kpi_pages_within_minutes_of_a_total_outage(promtool_tests: PromtoolTests) -> None:
    rules = render_text(KPI.format(extra=""))
    test = {
        "name": "outage",
        "interval": "1m",
        # two healthy hours at 1000 requests a minute, then every request fails
        "input_series": requests("0+1000x120 120000x30", "0x120 0+1000x30"),
        "promql_expr_test": [
            never_fired("KPIErrorBudgetBurn", "120m", "2h"),
            firing("KPIErrorBudgetBurn", "125m", True, severity="critical", long_window="1h"),
            firing("KPIErrorBudgetBurn", "125m", True, severity="critical", long_window="6h"),
        ],
    }
    promtool_tests(rules.files, [test])


def test_ratio_kpi_opens_a_ticket_on_a_sustained_double_burn(
    promtool_tests: PromtoolTests,
) -> None:
    rules = render_text(KPI.format(extra=""))
    test = {
        "name": "double-burn",
        "interval": "1m",
        # error ratio 0.002 = 2 × (1 - 0.999)
        "input_series": requests("0+998x180", "0+2x180"),
        "promql_expr_test": [
            firing(
                "KPIErrorBudgetBurn",
                "1h",
                True,
                severity="medium",
                long_window="3d",
                short_window="6h",
            ),
            firing("KPIErrorBudgetBurn", "1h", False, severity="medium", long_window="1d"),
            never_fired("KPIErrorBudgetBurn", "3h", "3h", severity="critical"),
        ],
    }
    promtool_tests(rules.files, [test])


def test_ratio_kpi_is_silent_at_half_the_budget_rate(promtool_tests: PromtoolTests) -> None:
    rules = render_text(KPI.format(extra=""))
    test = {
        "name": "half-burn",
        "interval": "1m",
        # error ratio 0.0005 = 0.5 × (1 - 0.999)
        "input_series": requests("0+1999x360", "0+1x360"),
        "promql_expr_test": [never_fired("KPIErrorBudgetBurn", "6h", "6h")],
    }
    promtool_tests(rules.files, [test])


def test_escalation_appears_after_its_delay_and_resolves_with_its_source(
    promtool_tests: PromtoolTests,
) -> None:
    escalation = (
        "  routing:\n    escalation:\n      - {severities: [high], after: 10m, to: critical}\n"
    )
    rules = render_text(
        policy("    - {name: Broken, severity: high, expr: broken > 0, for: 1m}\n", escalation)
    )
    test = {
        "name": "escalation",
        "interval": "1m",
        "input_series": [{"series": "broken", "values": "0 1x29 0x20"}],
        "promql_expr_test": [
            firing("Broken", "2m", True, severity="high"),
            firing("Broken", "11m", False, severity="critical"),
            firing("Broken", "13m", True, severity="critical", augur_escalated="true"),
            firing("Broken", "30m", True, severity="critical", augur_escalated="true"),
            firing("Broken", "31m", False, severity="high"),
            firing("Broken", "31m", False, severity="critical"),
        ],
    }
    promtool_tests(rules.files, [test])


CHAIN = (
    "  routing:\n    escalation:\n"
    "      - {severities: [medium], after: 10m, to: high}\n"
    "      - {severities: [high], after: 5m, to: critical}\n"
)


def test_a_two_step_chain_climbs_level_by_level_and_resolves_with_its_source(
    promtool_tests: PromtoolTests,
) -> None:
    rules = render_text(
        policy("    - {name: Slow, severity: medium, expr: slow > 0, for: 1m}\n", CHAIN)
    )
    escalated = {"augur_escalated": "true", "augur_escalated_from": "medium"}
    test = {
        "name": "chain",
        "interval": "1m",
        # slow from 1m to 40m: Slow fires at 2m, is high 10m later, critical 5m after that
        "input_series": [{"series": "slow", "values": "0 1x39 0x20"}],
        "promql_expr_test": [
            firing("Slow", "2m", True, severity="medium"),
            firing("Slow", "11m", False, severity="high"),
            firing("Slow", "12m", True, severity="high", **escalated),
            firing("Slow", "16m", False, severity="critical"),
            firing("Slow", "17m", True, severity="critical", **escalated),
            # every level keeps firing while the source does...
            firing("Slow", "40m", True, severity="medium"),
            firing("Slow", "40m", True, severity="high", **escalated),
            firing("Slow", "40m", True, severity="critical", **escalated),
            # ...and all of them resolve in the evaluation the source does
            firing("Slow", "41m", False, severity="medium"),
            firing("Slow", "41m", False, severity="high"),
            firing("Slow", "41m", False, severity="critical"),
        ],
        "alert_rule_test": [
            {
                "alertname": "Slow",
                "eval_time": "17m",
                "exp_alerts": [
                    slow_alert("medium", {}, {}),
                    slow_alert("high", escalated, notes("10m", "high", "after 10m")),
                    slow_alert(
                        "critical",
                        escalated,
                        notes(
                            "15m",
                            "critical",
                            "after 15m (to high after 10m, then to critical after 5m)",
                        ),
                    ),
                ],
            }
        ],
    }
    promtool_tests(rules.files, [test])


def notes(after: str, to: str, how: str) -> dict[str, str]:
    """The annotations of Slow escalated from medium."""
    return {
        "summary": "Slow is still firing",
        "description": f"Firing for {after} at severity medium: raised to {to}.",
        "escalation": f"escalated from medium {how}",
    }


def slow_alert(
    severity: str, labels: dict[str, str], annotations: dict[str, str]
) -> dict[str, Any]:
    """Slow at `severity` as promtool expects it: every label and every annotation."""
    every = {"alertname": "Slow", "severity": severity, "namespace": "shop", "augur_policy": "api"}
    return {"exp_labels": every | labels, "exp_annotations": annotations}


def test_an_alert_starting_midway_takes_only_the_rest_of_the_chain(
    promtool_tests: PromtoolTests,
) -> None:
    rules = render_text(
        policy("    - {name: Down, severity: high, expr: down > 0, for: 1m}\n", CHAIN)
    )
    test = {
        "name": "midway",
        "interval": "1m",
        "input_series": [{"series": "down", "values": "0 1x29"}],
        "promql_expr_test": [
            firing("Down", "6m", False, severity="critical"),
            firing("Down", "7m", True, severity="critical", augur_escalated_from="high"),
            never_fired("Down", "30m", "30m", severity="high", augur_escalated="true"),
        ],
    }
    promtool_tests(rules.files, [test])


VALUE_KPI = """apiVersion: augur.dev/v1alpha1
kind: BusinessKPI
metadata: {name: score, namespace: ml}
spec:
  indicator: {value: avg(score)}
  objective: {target: 0.8, comparison: ">=", window: 1d}
  alerting:
    breach: {for: 10m, severity: high}
    forecastBreach: {horizon: 1h, severity: medium}
"""


def test_breach_and_forecast_breach_fire_when_they_should(promtool_tests: PromtoolTests) -> None:
    rules = render_text(VALUE_KPI)
    test = {
        "name": "declining-score",
        "interval": "1m",
        # from 1 down by 0.002 a minute: crosses 0.92 (0.8 an hour ahead) at 40m, 0.8 at 100m
        "input_series": [{"series": "score", "values": "1-0.002x150"}],
        "promql_expr_test": [
            never_fired("KPIForecastBreach", "35m", "35m"),
            firing("KPIForecastBreach", "60m", True, severity="medium", augur_kpi="score"),
            firing("KPIBreach", "95m", False),
            firing("KPIBreach", "115m", True, severity="high", namespace="ml"),
            firing("KPIForecastBreach", "115m", False),
        ],
    }
    promtool_tests(rules.files, [test])


def test_steady_value_kpi_stays_quiet(promtool_tests: PromtoolTests) -> None:
    rules = render_text(VALUE_KPI)
    test = {
        "name": "steady-score",
        "interval": "1m",
        "input_series": [{"series": "score", "values": "0.9+0x150"}],
        "promql_expr_test": [
            never_fired("KPIForecastBreach", "150m", "150m"),
            never_fired("KPIBreach", "150m", "150m"),
        ],
    }
    promtool_tests(rules.files, [test])


TENANCY = """apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  namespaceSelector: {any: true}
  tenancy: {enforceNamespaceLabel: namespace}
---
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: api, namespace: team-a}
spec:
  alerts:
    - {name: Errors, severity: high, expr: 'sum(rate(errors_total[5m])) > 1'}
    - {name: OrdersKpiLow, severity: high, expr: 'augur_kpi:value:current{augur_kpi="orders"} < 0.9'}
---
apiVersion: augur.dev/v1alpha1
kind: BusinessKPI
metadata: {name: orders, namespace: team-a}
spec:
  indicator:
    ratio:
      good: sum(rate(orders_total{status="ok"}[{{window}}]))
      total: sum(rate(orders_total[{{window}}]))
  objective: {target: 0.99, window: 30d}
  alerting:
    breach: {for: 5m, severity: medium}
"""


def test_tenant_rules_ignore_other_tenants_series(promtool_tests: PromtoolTests) -> None:
    rules = render_text(TENANCY)
    tests = [
        {
            "name": "b-series-do-not-fire-a-rules",
            "interval": "1m",
            "input_series": [
                {"series": 'errors_total{namespace="team-b"}', "values": "0+600x30"},
                {"series": 'orders_total{namespace="team-b", status="ok"}', "values": "0+1x30"},
                {"series": 'orders_total{namespace="team-b", status="failed"}', "values": "0+9x30"},
            ],
            "promql_expr_test": [
                never_fired("Errors", "30m", "30m"),
                never_fired("KPIBreach", "30m", "30m"),
                never_fired("OrdersKpiLow", "30m", "30m"),
            ],
        },
        {
            "name": "a-series-fire-a-rules-through-a-kpi-recordings",
            "interval": "1m",
            "input_series": [
                {"series": 'errors_total{namespace="team-a"}', "values": "0+600x30"},
                {"series": 'orders_total{namespace="team-a", status="ok"}', "values": "0+1x30"},
                {"series": 'orders_total{namespace="team-a", status="failed"}', "values": "0+9x30"},
            ],
            "promql_expr_test": [
                firing("Errors", "10m", True, namespace="team-a", augur_policy="api"),
                firing("OrdersKpiLow", "10m", True, namespace="team-a"),
                firing("KPIBreach", "15m", True, namespace="team-a", augur_kpi="orders"),
                firing("KPIErrorBudgetBurn", "15m", True, namespace="team-a", severity="critical"),
            ],
        },
    ]
    promtool_tests(rules.files, tests)

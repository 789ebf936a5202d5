"""Where alerts go, asked of amtool: `amtool config routes test` on rendered configurations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from augur.render.alertmanager import NULL_RECEIVER, render_alertmanager_config
from augur.render.selection import StackInputs

pytestmark = pytest.mark.tools

GOLDEN = Path(__file__).resolve().parent / "golden"
RoutesTest = Callable[[str, dict[str, str]], list[str]]
LoadInputs = Callable[[str], StackInputs]


def _config(load_inputs: LoadInputs, case: str) -> tuple[str, dict[str, Any]]:
    inputs = load_inputs((GOLDEN / f"{case}.in.yaml").read_text())
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    assert not rendered.rejected
    return rendered.text(), rendered.config


@pytest.fixture
def shop(load_inputs: LoadInputs) -> str:
    return _config(load_inputs, "shop")[0]


@pytest.fixture
def tenancy(load_inputs: LoadInputs) -> str:
    return _config(load_inputs, "tenancy")[0]


def _api(severity: str, **labels: str) -> dict[str, str]:
    return {
        "alertname": "HighErrorRate",
        "namespace": "shop",
        "augur_policy": "api",
        "severity": severity,
        **labels,
    }


@pytest.mark.parametrize(
    ("severity", "extra", "expected"),
    [
        ("critical", {}, ["shop/api/pagerduty", "shop/api/slack-critical"]),
        ("high", {}, ["shop/api/slack-alerts"]),
        ("medium", {}, ["shop/api/slack-alerts"]),
        ("warning", {}, ["shop/api/slack-alerts"]),
        ("high", {"service": "checkout"}, ["shop/api/slack-alerts", "shop/api/msteams"]),
        ("low", {}, ["shop/api/email-ops"]),
        ("info", {}, ["shop/api/hook"]),
    ],
)
def test_each_severity_reaches_exactly_its_routes_receivers(
    routes_test: RoutesTest, shop: str, severity: str, extra: dict[str, str], expected: list[str]
) -> None:
    assert routes_test(shop, _api(severity, **extra)) == expected


def test_an_escalated_alert_reaches_the_higher_severitys_receivers(
    routes_test: RoutesTest, shop: str
) -> None:
    escalated = _api("critical", augur_escalated="true")
    assert routes_test(shop, escalated) == ["shop/api/pagerduty", "shop/api/slack-critical"]
    # medium escalates to high: the high route's receivers, not the medium original's twice
    raised = _api("high", alertname="LatencyAnomaly", augur_escalated="true")
    assert routes_test(shop, raised) == ["shop/api/slack-alerts"]


def test_a_route_naming_the_stacks_default_receiver_reaches_it(
    routes_test: RoutesTest, shop: str
) -> None:
    labels = {"alertname": "PaymentProviderErrors", "namespace": "shop"}
    labels |= {"augur_policy": "payments", "severity": "critical"}
    assert routes_test(shop, labels) == ["platform-oncall"]


def test_alerts_no_route_takes_go_to_the_default_receiver(
    routes_test: RoutesTest, shop: str
) -> None:
    untaken = {"alertname": "X", "namespace": "shop", "augur_policy": "payments"}
    assert routes_test(shop, untaken | {"severity": "high"}) == ["platform-oncall"]
    assert routes_test(shop, {"alertname": "Watchdog", "severity": "high"}) == ["platform-oncall"]


def test_info_never_notifies_unless_a_route_lists_it(routes_test: RoutesTest, shop: str) -> None:
    payments_info = {"alertname": "X", "namespace": "shop", "augur_policy": "payments"}
    assert routes_test(shop, payments_info | {"severity": "info"}) == [NULL_RECEIVER]
    assert routes_test(shop, {"alertname": "Y", "severity": "info"}) == [NULL_RECEIVER]


def test_a_route_without_severities_takes_all_but_info(
    routes_test: RoutesTest, tenancy: str
) -> None:
    b = {"alertname": "X", "namespace": "team-b", "tenant": "team-b", "augur_policy": "app"}
    for severity in ("critical", "high", "medium", "warning", "low"):
        assert routes_test(tenancy, b | {"severity": severity}) == ["team-b/app/b-chat"]
    assert routes_test(tenancy, b | {"severity": "info"}) == [NULL_RECEIVER]


def test_tenant_routes_receive_only_their_own_namespaces_alerts(
    routes_test: RoutesTest, tenancy: str
) -> None:
    a = {"alertname": "X", "namespace": "team-a", "tenant": "team-a", "augur_policy": "app"}
    assert routes_test(tenancy, a | {"severity": "critical"}) == [
        "team-a/app/a-pager",
        "platform-pager",
    ]
    # team-a's alerts never reach team-b's receivers, whatever labels they carry
    b_receivers = {"team-b/app/b-chat"}
    for forged in (
        a | {"augur_policy": "app", "severity": "low"},
        a | {"tenant": "team-b", "severity": "low"},
        a | {"namespace": "team-b", "severity": "low"},
        {"alertname": "X", "namespace": "team-a", "augur_policy": "app", "severity": "low"},
    ):
        assert b_receivers.isdisjoint(routes_test(tenancy, forged)), forged
    # ...and team-b's alerts never reach team-a's
    b = {"alertname": "X", "namespace": "team-b", "tenant": "team-b", "augur_policy": "app"}
    for severity in ("critical", "high"):
        reached = routes_test(tenancy, b | {"severity": severity})
        assert reached == ["team-b/app/b-chat"]


def test_another_namespaces_policy_label_never_reaches_that_policy(
    routes_test: RoutesTest, load_inputs: LoadInputs
) -> None:
    text, _ = _config(load_inputs, "shop")
    forged = {"alertname": "X", "namespace": "ml", "augur_policy": "api", "severity": "critical"}
    assert routes_test(text, forged) == ["platform-oncall"]


def test_inhibitions_are_present_as_specified(load_inputs: LoadInputs) -> None:
    _, config = _config(load_inputs, "tenancy")
    assert config["inhibit_rules"] == [
        # the stack's own namespace: as written, cluster-wide
        {
            "source_matchers": ['alertname="ClusterDown"'],
            "target_matchers": ['severity!="critical"'],
        },
        # tenants: both sides scoped to the tenant, which must also be equal
        {
            "source_matchers": ['severity="critical"', 'tenant="team-a"'],
            "target_matchers": ['severity="high"', 'tenant="team-a"'],
            "equal": ["alertname", "tenant"],
        },
        {
            "source_matchers": ['alertname="TeamBDown"', 'tenant="team-b"'],
            "target_matchers": ['alertname=~".+"', 'tenant="team-b"'],
            "equal": ["tenant"],
        },
    ]


def test_time_intervals_are_present_as_specified(load_inputs: LoadInputs) -> None:
    _, config = _config(load_inputs, "routing")
    intervals = {i["name"]: i["time_intervals"] for i in config["time_intervals"]}
    assert intervals["shop/checkout/office-hours"] == [
        {
            "times": [{"start_time": "08:30", "end_time": "17:30"}],
            "weekdays": ["monday:friday"],
            "location": "UTC",
        }
    ]
    assert intervals["shop/checkout/holidays"][0] == {
        "days_of_month": ["24:26"],
        "months": ["december"],
        "years": ["2025:2027"],
    }
    routes = config["route"]["routes"][0]["routes"]
    assert routes[1]["mute_time_intervals"] == [
        "shop/checkout/maintenance",
        "shop/checkout/holidays",
    ]
    assert routes[2]["active_time_intervals"] == ["shop/checkout/office-hours"]

"""Where alerts go, asked of amtool: `amtool config routes test` on rendered configurations."""

from __future__ import annotations

import json
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
    escalated = _api("critical", augur_escalated="true", augur_escalated_from="high")
    assert routes_test(shop, escalated) == ["shop/api/pagerduty", "shop/api/slack-critical"]
    # medium escalates to high: the high route's receivers, not the medium original's twice
    raised = _api(
        "high", alertname="LatencyAnomaly", augur_escalated="true", augur_escalated_from="medium"
    )
    assert routes_test(shop, raised) == ["shop/api/slack-alerts"]


def _checkout(severity: str, origin: str | None = None, **labels: str) -> dict[str, str]:
    alert = {"alertname": "CheckoutSlow", "namespace": "shop", "tenant": "shop"}
    alert |= {"augur_policy": "checkout", "severity": severity, "service": "web", **labels}
    if origin is not None:
        alert |= {"augur_escalated": "true", "augur_escalated_from": origin}
    return alert


def test_each_level_of_a_chain_reaches_its_severitys_receivers(
    routes_test: RoutesTest, load_inputs: LoadInputs
) -> None:
    text, _ = _config(load_inputs, "escalation")
    assert routes_test(text, _checkout("medium")) == ["shop/checkout/chat"]
    assert routes_test(text, _checkout("high", "medium")) == ["shop/checkout/chat-high"]
    assert routes_test(text, _checkout("critical", "medium")) == ["shop/checkout/pager"]


def _muted(rules: list[dict[str, Any]], firing: list[dict[str, str]]) -> list[dict[str, str]]:
    """The firing alerts Alertmanager's inhibit rules mute (equality matchers only)."""

    def matches(alert: dict[str, str], matchers: list[str]) -> bool:
        pairs = [m.split("=", 1) for m in matchers]
        return all(alert.get(name, "") == json.loads(value) for name, value in pairs)

    return [
        target
        for target in firing
        if any(
            matches(target, rule["target_matchers"])
            and any(
                source is not target
                and matches(source, rule["source_matchers"])
                and all(source.get(n, "") == target.get(n, "") for n in rule.get("equal", []))
                for source in firing
            )
            for rule in rules
        )
    ]


def test_silence_source_mutes_only_the_level_its_step_raised_from(
    load_inputs: LoadInputs,
) -> None:
    _, config = _config(load_inputs, "escalation")
    rules = config["inhibit_rules"]
    assert all("=~" not in m and "!=" not in m for r in rules for m in r["source_matchers"])
    medium, high, critical = (
        _checkout("medium"),
        _checkout("high", "medium"),
        _checkout("critical", "medium"),
    )
    elsewhere = _checkout("medium", service="cart")  # another notification group
    other = _checkout("medium", alertname="Other")  # another alert of the same group
    # at high (silenceSource): the medium source is muted, nothing else
    assert _muted(rules, [medium, high, elsewhere, other]) == [medium]
    # at critical (no silenceSource): the high copy is muted only by the policy's own
    # inhibition (critical mutes high on equal alertname and service), the source stays muted
    assert _muted(rules, [medium, high, critical]) == [medium, high]
    # a native high alert raised to critical: the step does not silence it, but the policy's
    # inhibition does, as the copy keeps the source's labels
    native = _checkout("high", alertname="CheckoutErrors", service="api")
    raised = _checkout("critical", "high", alertname="CheckoutErrors", service="api")
    escalation_rules = [r for r in rules if "augur_escalated_from" in str(r["source_matchers"])]
    assert len(escalation_rules) == 3
    assert _muted(escalation_rules, [native, raised]) == []
    assert _muted(rules, [native, raised]) == [native]
    # the tenant's step silences: its high alert is muted by its critical copy
    down = {"alertname": "AppDown", "namespace": "team-a", "tenant": "team-a"}
    down |= {"augur_policy": "app", "severity": "high"}
    down_raised = down | {
        "severity": "critical",
        "augur_escalated": "true",
        "augur_escalated_from": "high",
    }
    assert _muted(rules, [down, down_raised]) == [down]
    # ...and never another namespace's alerts of the same name
    assert _muted(rules, [down | {"namespace": "shop", "tenant": "shop"}, down_raised]) == []


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


def test_the_watchdog_goes_to_the_watchdog_receiver_and_nowhere_else(
    routes_test: RoutesTest, shop: str
) -> None:
    # as Prometheus sends it: the self-monitoring rule sets severity none, and tenancy
    # leaves a rule of the stack's own without a namespace
    assert routes_test(shop, {"alertname": "Watchdog", "severity": "none"}) == ["heartbeat"]


def test_without_a_watchdog_receiver_the_watchdog_never_reaches_the_default_receiver(
    routes_test: RoutesTest, tenancy: str
) -> None:
    assert routes_test(tenancy, {"alertname": "Watchdog", "severity": "none"}) == [NULL_RECEIVER]


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
    routes = config["route"]["routes"][1]["routes"]  # [0] is the Watchdog's
    assert routes[1]["mute_time_intervals"] == [
        "shop/checkout/maintenance",
        "shop/checkout/holidays",
    ]
    assert routes[2]["active_time_intervals"] == ["shop/checkout/office-hours"]

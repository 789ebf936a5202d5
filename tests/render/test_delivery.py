"""Where a stack's alerts can go: the route walk, and the warnings about alerts that can only
reach a receiver with no integration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.delivery import delivery_warnings, empty_receivers, reachable
from augur.render.selection import StackInputs, inputs_for, stacks_of

CASE = Path(__file__).resolve().parent / "alertmanager" / "golden" / "kpi-routing.in.yaml"
KNOWN = frozenset({"severity", "namespace", "augur_policy"})


def inputs_of(docs: list[dict[str, Any]]) -> StackInputs:
    inventory = Inventory()
    for doc in docs:
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
    inventory.sort()
    return inputs_for(stacks_of(inventory)[0], inventory)


def case_docs() -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(CASE.read_text()))


TREE = {
    "receiver": "default",
    "routes": [
        {
            "receiver": "policy-default",
            "matchers": ['namespace="shop"', 'augur_policy="api"'],
            "routes": [
                {"receiver": "pager", "matchers": ['severity="critical"'], "continue": True},
                {"receiver": "chat", "matchers": ['severity="critical"']},
                {"receiver": "checkout", "matchers": ['severity="high"', 'service="checkout"']},
            ],
        }
    ],
}


def test_a_sure_match_ends_the_walk_unless_it_continues() -> None:
    labels = {"namespace": "shop", "augur_policy": "api", "severity": "critical"}
    assert reachable(TREE, labels, KNOWN) == {"pager", "chat"}


def test_a_matcher_on_an_unknown_label_may_go_both_ways() -> None:
    labels = {"namespace": "shop", "augur_policy": "api", "severity": "high"}
    assert reachable(TREE, labels, KNOWN) == {"checkout", "policy-default"}
    assert reachable(TREE, {**labels, "service": "cart"}, KNOWN) == {"policy-default"}


def test_an_absent_known_label_is_empty() -> None:
    # no augur_policy: the policy's subtree can never take it
    assert reachable(TREE, {"namespace": "shop", "severity": "critical"}, KNOWN) == {"default"}


def test_receivers_without_integrations_are_empty() -> None:
    config = {"receivers": [{"name": "a"}, {"name": "b", "webhook_configs": [{}]}]}
    assert empty_receivers(config) == {"a"}


def test_routed_kpis_and_policies_raise_no_warning_but_self_monitoring_does() -> None:
    warnings = delivery_warnings(inputs_of(case_docs()))
    assert list(warnings) == ["MonitoringStack/monitoring/shared"]
    (problem,) = warnings["MonitoringStack/monitoring/shared"]
    assert problem.path == "spec.alertmanager.defaultReceiver"
    assert "TargetDown (medium)" in problem.message
    assert "can only reach receiver nobody of stack monitoring/shared" in problem.message
    # the Watchdog goes to augur's null receiver on purpose while there is no watchdogReceiver
    assert "Watchdog" not in problem.message


def test_a_watchdog_receiver_without_integration_is_warned_about() -> None:
    docs = case_docs()
    stack = next(d for d in docs if d["kind"] == "MonitoringStack")
    stack["spec"]["alertmanager"]["watchdogReceiver"] = {"name": "heartbeat"}
    warnings = delivery_warnings(inputs_of(docs))
    by_path = {p.path: p for p in warnings["MonitoringStack/monitoring/shared"]}
    assert set(by_path) == {
        "spec.alertmanager.defaultReceiver",
        "spec.alertmanager.watchdogReceiver",
    }
    assert by_path["spec.alertmanager.watchdogReceiver"].message.startswith(
        "alert Watchdog (none) can only reach receiver heartbeat"
    )
    stack["spec"]["alertmanager"]["watchdogReceiver"] = {
        "name": "heartbeat",
        "webhook": {"url": "https://hc-ping.com/0b1c"},
    }
    (default,) = delivery_warnings(inputs_of(docs))["MonitoringStack/monitoring/shared"]
    assert default.path == "spec.alertmanager.defaultReceiver"


def test_an_unrouted_kpi_and_a_missing_policy_are_warned_about() -> None:
    docs = case_docs()
    checkout = next(d for d in docs if d["metadata"]["name"] == "checkout-availability")
    del checkout["spec"]["alerting"]["policyRef"]
    order = next(d for d in docs if d["metadata"]["name"] == "order-value")
    order["spec"]["alerting"]["policyRef"] = {"name": "billing"}
    warnings = delivery_warnings(inputs_of(docs))
    (unrouted,) = warnings["BusinessKPI/shop/checkout-availability"]
    assert unrouted.path == "spec.alerting"
    assert unrouted.message.startswith(
        "alerts KPIErrorBudgetBurn (critical), KPIErrorBudgetBurn (medium), KPIBreach (high), "
        "KPIForecastBreach (medium) can only reach receiver nobody"
    )
    missing, undelivered = warnings["BusinessKPI/team-b/order-value"]
    assert missing.path == "spec.alerting.policyRef.name"
    assert "does not load AlertPolicy team-b/billing" in missing.message
    assert "KPIBreach (critical)" in undelivered.message


def test_an_alert_escalated_to_an_unrouted_severity_is_warned_about() -> None:
    docs = case_docs()
    payments = docs[1]
    payments["spec"]["alerts"].append({"name": "Slow", "severity": "medium", "expr": "up == 0"})
    payments["spec"]["routing"]["routes"] = [{"severities": ["medium"], "receivers": ["tickets"]}]
    payments["spec"]["routing"]["escalation"] = [
        {"severities": ["medium"], "after": "1h", "to": "critical"}
    ]
    warnings = delivery_warnings(inputs_of(docs))
    messages = [p.message for p in warnings["AlertPolicy/shop/payments"]]
    assert any("alert PaymentErrors (critical)" in m for m in messages)
    assert any("alert Slow (critical)" in m for m in messages)
    assert not any("Slow (medium)" in m for m in messages)


def test_cluster_alerts_without_a_default_receiver_integration_are_warned_about() -> None:
    docs = case_docs()
    stack = next(d for d in docs if d["kind"] == "MonitoringStack")
    stack["spec"]["clusterMonitoring"] = {"enabled": True}
    (problem,) = delivery_warnings(inputs_of(docs))["MonitoringStack/monitoring/shared"]
    assert "NodeNotReady (high)" in problem.message and "TargetDown (medium)" in problem.message
    stack["spec"]["clusterMonitoring"] = {"enabled": True, "rules": False}
    (problem,) = delivery_warnings(inputs_of(docs))["MonitoringStack/monitoring/shared"]
    assert "NodeNotReady" not in problem.message


def test_prometheus_rules_alerts_are_walked_with_their_series_labels_unknown() -> None:
    from augur.api.promoperator_rules import parse_prometheus_rule

    stack = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "platform", "namespace": "monitoring"},
        "spec": {"prometheusOperatorObjects": {"enabled": True}},
    }
    inventory = Inventory()
    inventory.add(parse_resource(stack))
    inventory.add(
        parse_prometheus_rule(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {"name": "redis", "namespace": "monitoring"},
                "spec": {
                    "groups": [
                        {
                            "name": "redis",
                            "rules": [
                                {"alert": "RedisDown", "expr": "redis_up == 0"},
                                {"record": "redis:up", "expr": "sum(redis_up)"},
                            ],
                        }
                    ]
                },
            }
        )
    )
    inputs = inputs_for(inventory.stacks[0], inventory)
    warnings = delivery_warnings(inputs)
    (problem,) = warnings["PrometheusRule/monitoring/redis"]
    assert problem.path == "spec.groups[0]"
    # no severity of its own (its series may carry one): none is named
    assert problem.message.startswith("alert RedisDown can only reach receiver default")
    configured = {
        **stack,
        "spec": {
            **stack["spec"],
            "alertmanager": {
                "defaultReceiver": {"name": "oncall", "webhook": {"url": "http://oncall:8080/"}}
            },
        },
    }
    inventory.stacks = [parse_resource(configured)]  # type: ignore[list-item]
    assert "PrometheusRule/monitoring/redis" not in delivery_warnings(
        inputs_for(inventory.stacks[0], inventory)
    )

"""The PrometheusRule model: what prometheus-operator and Prometheus accept, and clear words
for what they refuse."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from augur.api.promoperator import is_promoperator_document, parse_promoperator
from augur.api.promoperator_rules import (
    PrometheusRule,
    enforced_label_problems,
    parse_prometheus_rule,
)
from augur.api.resources import InvalidObject


def document(*rules: dict[str, Any], **group: Any) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "redis", "namespace": "cache", "labels": {"release": "redis"}},
        "spec": {"groups": [{"name": "redis", **group, "rules": list(rules)}]},
    }


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidObject) as raised:
        parse_prometheus_rule(doc)
    return [str(p) for p in raised.value.problems]


def test_a_real_world_rule_parses_with_every_field() -> None:
    doc = document(
        {
            "alert": "RedisDown",
            "expr": "redis_up == 0",
            "for": "5m",
            "keep_firing_for": "10m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "Redis down ({{ $labels.instance }})"},
        },
        {"record": "redis:up:sum", "expr": "sum(redis_up)"},
        interval="30s",
        query_offset="1m",
        limit=10,
        labels={"team": "cache"},
        partial_response_strategy="warn",
    )
    rule = parse_prometheus_rule(doc)
    group = rule.spec.groups[0]
    assert (group.interval, group.query_offset, group.limit) == ("30s", "1m", 10)
    assert group.rules[0].for_ == "5m" and group.rules[0].keep_firing_for == "10m"
    assert group.rules[1].record == "redis:up:sum"
    assert (rule.key, rule.kind_name) == ("cache/redis", "PrometheusRule")


def test_expr_is_an_int_or_string_as_in_prometheus_operator() -> None:
    rule = parse_prometheus_rule(document({"record": "one", "expr": 1}))
    assert rule.spec.groups[0].rules[0].expr == "1"
    assert problems(document({"record": "one", "expr": True})) == [
        "spec.groups[0].rules[0].expr: must be a PromQL expression (a string), not true or false"
    ]


def test_empty_durations_are_unset_as_prometheus_operator_drops_them() -> None:
    rule = parse_prometheus_rule(
        document({"alert": "A", "expr": "up == 0", "for": ""}, interval="")
    )
    assert rule.spec.groups[0].interval is None
    assert rule.spec.groups[0].rules[0].for_ is None


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"alert": "A", "record": "a", "expr": "up"},
            "spec.groups[0].rules[0]: a rule has exactly one of `record` (a recording rule) "
            "and `alert`",
        ),
        (
            {"expr": "up"},
            "spec.groups[0].rules[0]: a rule has exactly one of `record` (a recording rule) "
            "and `alert`",
        ),
        (
            {"record": "job up", "expr": "up"},
            "spec.groups[0].rules[0].record: 'job up' is not a metric name "
            "([a-zA-Z_:][a-zA-Z0-9_:]*): a recording rule's name is the name of the series it "
            "writes",
        ),
        (
            {"record": "a", "expr": "up", "for": "5m"},
            "spec.groups[0].rules[0]: a recording rule takes no `for` (only alerts do)",
        ),
        (
            {"record": "a", "expr": "up", "annotations": {"summary": "x"}},
            "spec.groups[0].rules[0]: a recording rule takes no `annotations` (only alerts do)",
        ),
        (
            {"alert": "A", "expr": "rate(up[5m]"},
            "spec.groups[0].rules[0].expr: invalid PromQL at column 5: unclosed left parenthesis",
        ),
        (
            {"alert": "A", "expr": "up[5m]"},
            "spec.groups[0].rules[0].expr: invalid PromQL at column 1: the expression is a range "
            "vector; a rule needs an instant vector or a scalar",
        ),
        (
            {"alert": "A", "expr": "up", "labels": {"__name__": "x"}},
            "spec.groups[0].rules[0].labels: '__name__' is not a label name a rule may set",
        ),
        (
            {"alert": "A", "expr": "up", "labels": {"augur_policy": "payments"}},
            "spec.groups[0].rules[0].labels: label 'augur_policy' is reserved: augur routes "
            "alerts by the augur_* labels",
        ),
        (
            {"alert": "A", "expr": "up", "annotations": {"summary": "{{ $labels.job"}},
            "spec.groups[0].rules[0]: annotations.summary: not a valid template: unclosed action",
        ),
        (
            {"alert": "A", "expr": "up", "for": "5 minutes"},
            "spec.groups[0].rules[0].for: '5 minutes' is not a Prometheus duration (like 30s, "
            "5m, 1h, 1d, 1w)",
        ),
        (
            {"alert": "A", "expr": "up", "keepFiringFor": "5m"},
            "spec.groups[0].rules[0].keepFiringFor: unknown field (did you mean "
            "`keep_firing_for`?)",
        ),
    ],
)
def test_what_prometheus_would_refuse_is_said_at_the_field(
    rule: dict[str, Any], expected: str
) -> None:
    assert problems(document(rule)) == [expected]


def test_group_names_are_unique_and_strategy_is_thanos_own() -> None:
    doc = document({"alert": "A", "expr": "up == 0"})
    doc["spec"]["groups"].append(copy.deepcopy(doc["spec"]["groups"][0]))
    assert problems(doc) == ["spec.groups: group name(s) 'redis' used twice"]
    strategy = document({"alert": "A", "expr": "up"}, partial_response_strategy="drop")
    assert problems(strategy)[0].startswith("spec.groups[0].partial_response_strategy: ")


def test_the_name_must_leave_room_for_the_rule_file() -> None:
    doc = document({"alert": "A", "expr": "up"})
    doc["metadata"]["name"] = "x" * 240
    assert problems(doc) == [
        "metadata.name: in namespace 'cache' the name is at most 231 characters (not 240): its "
        "rule file `promrule__<namespace>__<name>.yaml` is a ConfigMap key of at most 253"
    ]


def test_other_monitoring_kinds_are_not_read_and_the_version_is_checked() -> None:
    doc = document({"alert": "A", "expr": "up"})
    assert is_promoperator_document(doc)
    assert isinstance(parse_promoperator(doc), PrometheusRule)
    assert not is_promoperator_document({**doc, "kind": "ServiceMonitor"})
    assert not is_promoperator_document({**doc, "apiVersion": "augur.dev/v1alpha1"})
    assert problems({**doc, "apiVersion": "monitoring.coreos.com/v1alpha1"}) == [
        "apiVersion: 'monitoring.coreos.com/v1alpha1' is not monitoring.coreos.com/v1"
    ]


def test_a_tenant_may_not_name_another_namespace_in_the_enforced_label() -> None:
    own = {"alert": "A", "expr": "up", "labels": {"namespace": "cache"}}
    other = {"alert": "B", "expr": "up", "labels": {"namespace": "db"}}
    rule = parse_prometheus_rule(document(own, other, labels={"namespace": "db"}))
    assert enforced_label_problems(rule, None) == []
    assert [str(p) for p in enforced_label_problems(rule, "namespace")] == [
        "spec.groups[0].labels.namespace: label 'namespace' is reserved: under the stack's "
        "tenancy augur sets it to this object's namespace ('cache', not 'db')",
        "spec.groups[0].rules[1].labels.namespace: label 'namespace' is reserved: under the "
        "stack's tenancy augur sets it to this object's namespace ('cache', not 'db')",
    ]


def test_with_another_enforced_label_namespace_is_reserved_too() -> None:
    """augur sets both on a tenant's rules, as on an AlertPolicy's."""
    tenant = {"alert": "A", "expr": "up", "labels": {"tenant": "db"}}
    namespace = {"alert": "B", "expr": "up", "labels": {"namespace": "db", "tenant": "cache"}}
    rule = parse_prometheus_rule(document(tenant, namespace))
    assert [p.path for p in enforced_label_problems(rule, "tenant")] == [
        "spec.groups[0].rules[0].labels.tenant",
        "spec.groups[0].rules[1].labels.namespace",
    ]

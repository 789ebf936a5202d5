"""The catalog: what a stack selects among objects that do not parse."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.resources import AlertPolicy, MonitoringStack
from augur.status.catalog import Catalog, Entry, ParseCache


def body(
    kind: str, namespace: str, name: str, spec: dict[str, Any], **labels: str
) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"{namespace}-{name}",
            "generation": 1,
            "labels": labels,
        },
        "spec": spec,
    }


def index(*entries: Entry) -> dict[str, list[Entry]]:
    return {e.key: [e] for e in entries}


def test_invalid_objects_count_by_namespace_labels_and_policy_labels() -> None:
    cache = ParseCache()
    stack = cache.entry(
        body(
            "MonitoringStack",
            "mon",
            "main",
            {"namespaceSelector": {"matchLabels": {"team": "shop"}}},
        )
    )
    assert isinstance(stack.resource, MonitoringStack), stack.problems
    broken = {"alerts": "not a list"}
    in_shop = cache.entry(body("AlertPolicy", "shop", "bad", broken))
    elsewhere = cache.entry(body("AlertPolicy", "other", "bad", broken))
    bad_kpi = cache.entry(body("BusinessKPI", "shop", "bad", {"indicator": 3}))
    assert in_shop.resource is None and bad_kpi.resource is None
    catalog = Catalog(
        index(stack),
        index(in_shop, elsewhere),
        index(bad_kpi),
        {"shop": [{"team": "shop"}], "other": [{"team": "other"}]},
    )
    assert catalog.invalid_selected_by(stack.resource) == 2
    assert catalog.alert_policies_by_key() == {"shop/bad": in_shop, "other/bad": elsewhere}
    assert in_shop.problem_summary.startswith("spec")


def test_scaling_policies_are_selected_like_the_other_kinds() -> None:
    cache = ParseCache()
    stacks = [
        cache.entry(body("MonitoringStack", "mon", name, {"namespaceSelector": selector}))
        for name, selector in (
            ("shop-only", {"matchLabels": {"team": "shop"}}),
            ("other-only", {"matchLabels": {"team": "other"}}),
        )
    ]
    policy = cache.entry(
        body(
            "ScalingPolicy",
            "shop",
            "web",
            {
                "targetRef": {"name": "web"},
                "metric": {"query": "sum(rate(requests_total[5m]))", "perReplicaCapacity": 10},
                "replicas": {"max": 5},
            },
        )
    )
    assert policy.resource is not None, policy.problems
    catalog = Catalog(
        index(*stacks),
        {},
        {},
        {"shop": [{"team": "shop"}], "other": [{"team": "other"}]},
        index(policy),
    )
    assert catalog.stacks_selecting(policy) == ["mon/shop-only"]
    assert catalog.scaling_policy("shop/web") is policy
    assert catalog.scaling_policy("shop/absent") is None
    assert [p.key for p in catalog.inventory().scaling_policies] == ["shop/web"]


def prometheus_rule_body(namespace: str, name: str, groups: Any, **labels: str) -> dict[str, Any]:
    doc = body("PrometheusRule", namespace, name, {"groups": groups}, **labels)
    return {**doc, "apiVersion": "monitoring.coreos.com/v1"}


def test_prometheus_rules_are_selected_by_the_stacks_that_load_them() -> None:
    cache = ParseCache()
    enabled = {"enabled": True, "namespaceSelector": {"matchNames": ["cache"]}}
    loads = cache.entry(
        body("MonitoringStack", "mon", "loads", {"prometheusOperatorObjects": enabled})
    )
    ignores = cache.entry(
        body("MonitoringStack", "mon", "ignores", {"namespaceSelector": {"any": True}})
    )
    group = [{"name": "redis", "rules": [{"alert": "RedisDown", "expr": "redis_up == 0"}]}]
    good = cache.entry(prometheus_rule_body("cache", "redis", group))
    bad = cache.entry(prometheus_rule_body("cache", "broken", [{"name": "x", "rules": "no"}]))
    other = cache.entry(prometheus_rule_body("db", "pg", group))
    assert good.resource is not None and bad.resource is None and bad.kind == "PrometheusRule"
    catalog = Catalog(
        index(loads, ignores),
        {},
        {},
        {},
        promoperator={"PrometheusRule": index(good, bad, other)},
    )
    assert catalog.stacks_selecting(good) == ["mon/loads"]
    assert catalog.stacks_selecting(bad) == ["mon/loads"]  # an invalid one: by its labels
    assert catalog.stacks_selecting(other) == []
    assert [r.key for r in catalog.inventory().prometheus_rules] == ["cache/redis", "db/pg"]
    assert isinstance(loads.resource, MonitoringStack)
    assert catalog.invalid_selected_by(loads.resource) == 1
    assert list(catalog.invalid_promoperator_selected_by(loads.resource)) == [
        "PrometheusRule/cache/broken"
    ]
    assert isinstance(ignores.resource, MonitoringStack)
    assert catalog.invalid_selected_by(ignores.resource) == 0


def monitor_body(kind: str, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {**body(kind, namespace, name, spec), "apiVersion": "monitoring.coreos.com/v1"}


def test_service_and_pod_monitors_reach_the_inventory_and_invalid_ones_the_stack() -> None:
    cache = ParseCache()
    enabled = {"enabled": True, "namespaceSelector": {"matchNames": ["cache"]}}
    loads = cache.entry(
        body("MonitoringStack", "mon", "loads", {"prometheusOperatorObjects": enabled})
    )
    selector = {"matchLabels": {"app": "redis"}}
    service = cache.entry(
        monitor_body(
            "ServiceMonitor", "cache", "redis", {"selector": selector, "endpoints": [{"port": "m"}]}
        )
    )
    pod = cache.entry(
        monitor_body(
            "PodMonitor",
            "cache",
            "redis-pods",
            {"selector": selector, "podMetricsEndpoints": [{"port": "m"}]},
        )
    )
    broken = cache.entry(
        monitor_body(
            "ServiceMonitor", "cache", "classy", {"selector": selector, "scrapeClass": "tls"}
        )
    )
    assert service.resource is not None and pod.resource is not None, service.problems
    assert broken.resource is None and broken.kind == "ServiceMonitor"
    catalog = Catalog(
        index(loads),
        {},
        {},
        {},
        promoperator={"ServiceMonitor": index(service, broken), "PodMonitor": index(pod)},
    )
    inventory = catalog.inventory()
    assert [m.key for m in inventory.service_monitors] == ["cache/redis"]
    assert [m.key for m in inventory.pod_monitors] == ["cache/redis-pods"]
    assert catalog.stacks_selecting(pod) == ["mon/loads"]
    assert isinstance(loads.resource, MonitoringStack)
    assert list(catalog.invalid_promoperator_selected_by(loads.resource)) == [
        "ServiceMonitor/cache/classy"
    ]


def test_parsed_policies_share_their_equal_strings() -> None:
    # thousands of policies repeat their namespace, labels and alert names: kept once
    def policy(name: str) -> dict[str, Any]:
        alert = {"name": "".join(["High", "Errors"]), "severity": "high", "expr": "up == 0"}
        found = body("AlertPolicy", "".join(["sh", "op"]), name, {"alerts": [alert]})
        found["metadata"]["labels"] = {"".join(["te", "am"]): "".join(["pay", "ments"])}
        return found

    first, second = policy("a"), policy("b")
    assert first["metadata"]["namespace"] is not second["metadata"]["namespace"]
    cache = ParseCache()
    a, b = cache.entry(first), cache.entry(second)
    assert (a.namespace, a.alert_names, a.labels) == (
        "shop",
        ("HighErrors",),
        (("team", "payments"),),
    )
    assert a.namespace is b.namespace
    assert a.alert_names[0] is b.alert_names[0]
    assert a.resource is not None and b.resource is not None
    assert a.resource.metadata.labels == {"team": "payments"}
    a_labels, b_labels = a.resource.metadata.labels, b.resource.metadata.labels
    assert next(iter(a_labels.values())) is next(iter(b_labels.values()))


def test_policies_leaving_routing_and_defaults_alone_share_them() -> None:
    alert = {"name": "Down", "severity": "high", "expr": "up == 0"}
    cache = ParseCache()
    plain = [cache.entry(body("AlertPolicy", "shop", n, {"alerts": [alert]})) for n in "ab"]
    routed = cache.entry(
        body(
            "AlertPolicy",
            "shop",
            "c",
            {"alerts": [alert], "routing": {"groupBy": ["service"]}, "defaults": {"for": "5m"}},
        )
    )
    a, b, c = (e.resource for e in (*plain, routed))
    assert isinstance(a, AlertPolicy) and isinstance(b, AlertPolicy)
    assert isinstance(c, AlertPolicy)
    assert a.spec.routing is b.spec.routing and a.spec.defaults is b.spec.defaults
    assert a.spec.routing.group_by == ["alertname"]
    assert c.spec.routing.group_by == ["service"] and c.spec.defaults.for_ == "5m"
    assert c.spec.routing is not a.spec.routing and c.spec.defaults is not a.spec.defaults
    # the whole model, parsed again for the rules, is the policy as written
    assert plain[0].full_policy().spec.routing == a.spec.routing


def test_an_entry_keeps_one_key_string_and_its_model_gives_the_same() -> None:
    # every store keys a policy by namespace/name: one string, however often it is asked for
    entry = ParseCache().entry(
        body(
            "AlertPolicy",
            "shop",
            "a",
            {"alerts": [{"name": "D", "severity": "high", "expr": "up == 0"}]},
        )
    )
    assert entry.key == "shop/a"
    assert entry.key is entry.key
    assert entry.resource is not None and entry.resource.key is entry.key


def test_the_whole_policy_parsed_again_is_the_policy_as_first_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`full_policy` parses the kept document without checking its PromQL again (this very
    code checked it when the entry was made), and gives the same model."""
    from augur.api import common
    from augur.api.resources import parse_resource

    spec = {
        "alerts": [
            {"name": "Down", "severity": "high", "expr": "up == 0", "for": "5m"},
            {"name": "Slow", "severity": "low", "expr": "rate(x[5m]) > 1"},
        ],
        "tests": [
            {
                "name": "t",
                "inputSeries": [{"series": "up", "values": "0x15"}],
                "expectAlerts": [{"alert": "Down", "at": "10m", "firing": True}],
            }
        ],
    }
    doc = body("AlertPolicy", "shop", "a", spec)
    entry = ParseCache().entry(doc)
    assert entry.resource is not None
    checked: list[str] = []
    real = common.check_rule_expression

    def counting(source: str) -> None:
        checked.append(source)
        real(source)

    monkeypatch.setattr(common, "check_rule_expression", counting)
    whole = entry.full_policy()
    assert checked == []
    first = parse_resource({k: v for k, v in doc.items() if k != "status"})
    assert checked == ["up == 0", "rate(x[5m]) > 1"]
    assert whole == first


def test_a_document_not_checked_before_has_its_promql_checked() -> None:
    from augur.api.resources import InvalidObject, parse_resource

    spec = {"alerts": [{"name": "Down", "severity": "high", "expr": "rate(up[5m]"}]}
    with pytest.raises(InvalidObject, match="expr"):
        parse_resource(body("AlertPolicy", "shop", "a", spec))
    # the context is for what this code validated before only: it skips the check
    assert parse_resource(body("AlertPolicy", "shop", "a", spec), checked_before=True)

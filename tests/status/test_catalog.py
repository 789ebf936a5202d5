"""The catalog: what a stack selects among objects that do not parse."""

from __future__ import annotations

from typing import Any

from augur.api.resources import MonitoringStack
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

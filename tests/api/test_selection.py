"""Which objects a stack selects, and receiver references across objects."""

from __future__ import annotations

from typing import Any

from augur.api.inventory import Inventory
from augur.api.resources import AlertPolicy, MonitoringStack, parse_resource
from augur.render.selection import inputs_for, reference_problems, stack_selects, stacks_of


def make_stack(name: str = "s", namespace: str = "monitoring", **spec: Any) -> MonitoringStack:
    doc = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    result = parse_resource(doc)
    assert isinstance(result, MonitoringStack)
    return result


def make_policy(namespace: str, labels: dict[str, str] | None = None, **spec: Any) -> AlertPolicy:
    doc = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": namespace, "labels": labels or {}},
        "spec": spec,
    }
    result = parse_resource(doc)
    assert isinstance(result, AlertPolicy)
    return result


def test_default_namespace_selection_is_own_namespace() -> None:
    stack = make_stack()
    assert stack_selects(stack, make_policy("monitoring"), {})
    assert not stack_selects(stack, make_policy("shop"), {})


def test_namespace_label_selection() -> None:
    stack = make_stack(namespaceSelector={"matchLabels": {"team": "a"}})
    labels = {"shop": {"team": "a"}, "ml": {"team": "b"}}
    assert stack_selects(stack, make_policy("shop"), labels)
    assert not stack_selects(stack, make_policy("ml"), labels)


def test_policy_selector_with_expressions() -> None:
    selector = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["dev"]}]}
    stack = make_stack(namespaceSelector={"any": True}, policySelector=selector)
    assert stack_selects(stack, make_policy("x", {"tier": "prod"}), {})
    assert stack_selects(stack, make_policy("x"), {})
    assert not stack_selects(stack, make_policy("x", {"tier": "dev"}), {})


def test_no_stack_means_default_stack_selecting_all() -> None:
    (stack,) = stacks_of(Inventory())
    assert stack.key == "monitoring/default"
    assert stack_selects(stack, make_policy("anywhere", {"x": "y"}), {})


ROUTE_TO_ONCALL = {"routing": {"routes": [{"receivers": ["oncall"]}]}}


def test_receiver_resolves_to_selecting_stacks_default() -> None:
    stack = make_stack(
        namespaceSelector={"any": True},
        alertmanager={"defaultReceiver": {"name": "oncall"}},
    )
    inventory = Inventory(stacks=[stack], alert_policies=[make_policy("shop", **ROUTE_TO_ONCALL)])
    assert reference_problems(inventory) == {}
    assert len(inputs_for(stack, inventory).alert_policies) == 1


def test_receiver_must_resolve_in_every_selecting_stack() -> None:
    a = make_stack(
        "a", namespaceSelector={"any": True}, alertmanager={"defaultReceiver": {"name": "oncall"}}
    )
    b = make_stack("b", namespaceSelector={"any": True})
    inventory = Inventory(stacks=[a, b], alert_policies=[make_policy("shop", **ROUTE_TO_ONCALL)])
    problems = reference_problems(inventory)["AlertPolicy/shop/p"]
    assert "monitoring/b" in problems[0].message
    assert "monitoring/a" not in problems[0].message
    assert inputs_for(b, inventory).alert_policies == []
    assert "AlertPolicy/shop/p" in inputs_for(b, inventory).rejected
    assert len(inputs_for(a, inventory).alert_policies) == 1


def test_receiver_of_default_stack() -> None:
    inventory = Inventory(alert_policies=[make_policy("shop", **ROUTE_TO_ONCALL)])
    assert "AlertPolicy/shop/p" in reference_problems(inventory)
    ok = make_policy("shop", routing={"routes": [{"receivers": ["default"]}]})
    assert reference_problems(Inventory(alert_policies=[ok])) == {}

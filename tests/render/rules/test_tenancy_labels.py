"""The label a stack enforces tenancy with is reserved, whatever its name: a tenant's alert or
KPI labels may not set it (validation names the field), render never emits a tenant's value
for it, and the stack's externalLabels may not hold it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rulehelpers import inventory_of

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.businesskpi import BusinessKPISpec
from augur.api.resources import InvalidObject, Problem, parse_resource
from augur.render.rules.alerts import alert_labels
from augur.render.rules.files import render_rule_files
from augur.render.rules.kpi import kpi_rules
from augur.render.rules.tenancy import RuleScope
from augur.render.selection import inputs_for, reference_problems


def stack(label: str = "tenant", **prometheus: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "platform", "namespace": "monitoring"},
        "spec": {
            "namespaceSelector": {"any": True},
            "tenancy": {"enforceNamespaceLabel": label},
            "prometheus": prometheus,
        },
    }


def policy(
    namespace: str, alert_labels: dict[str, str], defaults: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {
            "defaults": {"labels": defaults},
            "alerts": [
                {"name": "Down", "severity": "high", "expr": "up == 0", "labels": alert_labels},
                {
                    "name": "Odd",
                    "severity": "low",
                    "anomaly": {"query": "sum(rate(x[5m]))"},
                    "labels": alert_labels,
                },
            ],
        },
    }


def kpi(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": "k", "namespace": namespace},
        "spec": {
            "indicator": {"value": "score"},
            "objective": {"target": 0.9},
            "alerting": {"breach": {}, "labels": labels},
        },
    }


def text(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(docs)


SPOOF = {"tenant": "ml"}


def test_a_tenant_setting_the_enforced_label_is_refused_with_the_field_named() -> None:
    inventory = inventory_of(
        text(stack(), policy("shop", SPOOF, SPOOF), kpi("shop", SPOOF), kpi("other", {}))
    )
    reserved = (
        "label 'tenant' is reserved: the stack enforces tenancy with it and sets it to this "
        "object's namespace"
    )
    assert reference_problems(inventory) == {
        "AlertPolicy/shop/p": [
            Problem("spec.defaults.labels.tenant", reserved),
            Problem("spec.alerts[0].labels.tenant", reserved),
            Problem("spec.alerts[1].labels.tenant", reserved),
        ],
        "BusinessKPI/shop/k": [Problem("spec.alerting.labels.tenant", reserved)],
    }
    rendered = render_rule_files(inputs_for(inventory.stacks[0], inventory))
    assert set(rendered.rejected) == {"AlertPolicy/shop/p", "BusinessKPI/shop/k"}
    assert [f.source for f in rendered.files] == ["BusinessKPI/other/k"]
    assert "ml" not in "".join(f.text() for f in rendered.files)


def test_the_stacks_own_namespace_and_other_labels_are_not_tenants() -> None:
    inventory = inventory_of(
        text(stack(), policy("monitoring", SPOOF, {}), policy("shop", {"team": "a"}, {}))
    )
    assert reference_problems(inventory) == {}
    rendered = render_rule_files(inputs_for(inventory.stacks[0], inventory))
    assert rendered.rejected == {}


def test_without_tenancy_the_label_is_the_users() -> None:
    inventory = inventory_of(text(policy("shop", SPOOF, {})))
    assert reference_problems(inventory) == {}


def test_render_never_emits_a_tenants_value_for_the_enforced_label() -> None:
    # models built without the selecting stack's check: what reaches render anyway
    spec = AlertPolicySpec.model_validate(policy("shop", SPOOF, SPOOF)["spec"])
    scope = RuleScope("shop", "tenant")
    labels = alert_labels("p", spec, spec.alerts[0], scope)
    assert labels["tenant"] == "shop" and labels["namespace"] == "shop"
    kpi_spec = BusinessKPISpec.model_validate(kpi("shop", SPOOF)["spec"])
    for rule in kpi_rules("k", kpi_spec, scope):
        assert rule["labels"]["tenant"] == "shop", rule


def test_external_labels_may_not_hold_the_enforced_label() -> None:
    with pytest.raises(InvalidObject, match="label 'tenant' is reserved"):
        parse_resource(stack(externalLabels={"tenant": "ml", "cluster": "a"}))
    parse_resource(stack(externalLabels={"cluster": "a"}))

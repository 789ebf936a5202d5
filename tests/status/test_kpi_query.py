"""A KPI's status query is restricted as its rules are: a tenant's KPI never reads another
namespace's series into its status."""

from __future__ import annotations

from typing import Any

from augur.api.resources import BusinessKPI, MonitoringStack, parse_resource
from augur.render.rules.files import kpi_rule_file
from augur.render.rules.tenancy import scope_for
from augur.status.kpi import kpi_query


def stack(tenancy: dict[str, Any]) -> MonitoringStack:
    resource = parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "main", "namespace": "monitoring"},
            "spec": {"namespaceSelector": {"any": True}, "tenancy": tenancy},
        }
    )
    assert isinstance(resource, MonitoringStack)
    return resource


def kpi(namespace: str, indicator: dict[str, Any]) -> BusinessKPI:
    resource = parse_resource(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "BusinessKPI",
            "metadata": {"name": "k", "namespace": namespace},
            "spec": {"indicator": indicator, "objective": {"target": 0.9}},
        }
    )
    assert isinstance(resource, BusinessKPI)
    return resource


STOLEN = {"value": 'secret_metric{namespace="ml"}'}


def test_a_tenants_kpi_naming_another_namespace_reads_nothing_of_it() -> None:
    shop = kpi("shop", STOLEN)
    assert kpi_query(shop, stack({"enforceNamespaceLabel": "namespace"})) == (
        'min(secret_metric{namespace="ml", namespace="shop"})'
    )
    assert kpi_query(shop, stack({"enforceNamespaceLabel": "tenant"})) == (
        'min(secret_metric{namespace="ml", tenant="shop"})'
    )


def test_the_status_query_is_restricted_exactly_as_the_recording_rule() -> None:
    platform = stack({"enforceNamespaceLabel": "tenant"})
    for namespace in ("shop", "monitoring"):  # a tenant, and the stack's own namespace
        resource = kpi(namespace, {"value": "count > 0"})
        scope = scope_for(namespace, "monitoring", "tenant")
        [group] = kpi_rule_file(resource, scope).groups
        [recorded] = [r for r in group["rules"] if r.get("record") == "augur_kpi:value:current"]
        assert kpi_query(resource, platform) == recorded["expr"]
    assert kpi_query(kpi("shop", {"value": "count > 0"}), platform) == (
        'min(count{tenant="shop"} > 0)'
    )


def test_without_tenancy_the_query_is_the_users() -> None:
    assert kpi_query(kpi("shop", STOLEN), stack({})) == 'min(secret_metric{namespace="ml"})'

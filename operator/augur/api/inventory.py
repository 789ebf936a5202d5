"""A set of parsed augur objects, the prometheus-operator objects stacks may load, and the
namespaces around them, as read from files or a cluster."""

from __future__ import annotations

from dataclasses import dataclass, field

from augur.api.promoperator import PromOperatorObject
from augur.api.promoperator_rules import PrometheusRule
from augur.api.resources import (
    AlertPolicy,
    AnyResource,
    BusinessKPI,
    MonitoringStack,
    ScalingPolicy,
)


@dataclass
class Inventory:
    """Every valid augur object of one input, by kind, in a stable (namespace, name) order."""

    stacks: list[MonitoringStack] = field(default_factory=list)
    alert_policies: list[AlertPolicy] = field(default_factory=list)
    business_kpis: list[BusinessKPI] = field(default_factory=list)
    scaling_policies: list[ScalingPolicy] = field(default_factory=list)
    prometheus_rules: list[PrometheusRule] = field(default_factory=list)
    """prometheus-operator PrometheusRules (`augur.api.promoperator` lists the kinds read)."""
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """Labels of the Namespaces known (from the input or the cluster)."""

    def add(self, resource: AnyResource | PromOperatorObject) -> None:
        """Add one object to the list of its kind."""
        if isinstance(resource, PrometheusRule):
            self.prometheus_rules.append(resource)
        elif isinstance(resource, MonitoringStack):
            self.stacks.append(resource)
        elif isinstance(resource, AlertPolicy):
            self.alert_policies.append(resource)
        elif isinstance(resource, BusinessKPI):
            self.business_kpis.append(resource)
        else:
            self.scaling_policies.append(resource)

    def sort(self) -> None:
        """Put every list in (namespace, name) order so output never depends on input order."""
        for items in (
            self.stacks,
            self.alert_policies,
            self.business_kpis,
            self.scaling_policies,
            self.prometheus_rules,
        ):
            items.sort(key=lambda r: (r.metadata.namespace, r.metadata.name))

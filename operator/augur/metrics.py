"""The operator's own Prometheus metrics, in a registry of their own (tests build another)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class OperatorMetrics:
    """Every metric `augur run` exposes on /metrics."""

    registry: CollectorRegistry
    reconcile_duration: Histogram
    reconcile_errors: Counter
    managed_objects: Gauge
    selected_policies: Gauge
    rules_rendered: Gauge
    kpi_evaluations: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> OperatorMetrics:
        """Metrics registered in `registry` (a fresh one by default)."""
        registry = registry or CollectorRegistry()
        return cls(
            registry=registry,
            reconcile_duration=Histogram(
                "augur_reconcile_duration_seconds",
                "Time to render and apply one MonitoringStack.",
                ["stack"],
                buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
                registry=registry,
            ),
            reconcile_errors=Counter(
                "augur_reconcile_errors_total",
                "Reconcile failures by reason.",
                ["kind", "reason"],
                registry=registry,
            ),
            managed_objects=Gauge(
                "augur_managed_objects",
                "Kubernetes objects a stack owns.",
                ["stack"],
                registry=registry,
            ),
            selected_policies=Gauge(
                "augur_selected_policies",
                "AlertPolicies a stack loads, and those it rejected.",
                ["stack", "state"],
                registry=registry,
            ),
            rules_rendered=Gauge(
                "augur_rules_rendered",
                "Prometheus rules rendered for a stack.",
                ["stack"],
                registry=registry,
            ),
            kpi_evaluations=Counter(
                "augur_kpi_evaluations_total",
                "BusinessKPI evaluations against Prometheus, by result.",
                ["result"],
                registry=registry,
            ),
        )

    def forget_stack(self, stack: str) -> None:
        """Drop the series of a deleted stack."""
        for gauge in (self.managed_objects, self.rules_rendered):
            with contextlib.suppress(KeyError):
                gauge.remove(stack)
        for state in ("selected", "rejected"):
            with contextlib.suppress(KeyError):
                self.selected_policies.remove(stack, state)

    def exposition(self) -> bytes:
        """The text exposition format of every metric."""
        return generate_latest(self.registry)

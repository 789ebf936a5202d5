"""The operator's own Prometheus metrics, in a registry of their own (tests build another)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:  # the scaling report (numpy) loads only with a ScalingPolicy
    from augur.scaling.report import PolicyMetricValues

POLICY_LABELS = ["namespace", "scaling_policy"]
"""The labels of a ScalingPolicy's series, as the scaling dashboard selects them."""


@dataclass
class ScalingMetrics:
    """One series per ScalingPolicy: the autoscaling hints the scaling dashboard draws."""

    forecast_value: Gauge
    recommended_replicas: Gauge
    current_replicas: Gauge
    applied_min_replicas: Gauge
    forecast_healthy: Gauge
    forecast_mase: Gauge
    forecast_coverage: Gauge
    last_evaluation: Gauge
    evaluations: Counter
    _quantiles: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ScalingMetrics:
        """The scaling metrics, registered in `registry`."""

        def gauge(name: str, text: str, labels: list[str] = POLICY_LABELS) -> Gauge:
            return Gauge(name, text, labels, registry=registry)

        return cls(
            forecast_value=gauge(
                "augur_forecast_value",
                "Forecast of a ScalingPolicy's load at its horizon: quantile 0.5 is the point"
                " forecast, the policy's quantile q and 1 - q the edges of the band.",
                [*POLICY_LABELS, "quantile"],
            ),
            recommended_replicas=gauge(
                "augur_scaling_recommended_replicas",
                "Replicas a ScalingPolicy recommends (absent without a trusted forecast).",
            ),
            current_replicas=gauge(
                "augur_scaling_current_replicas", "Replicas the policy's target runs."
            ),
            applied_min_replicas=gauge(
                "augur_scaling_applied_min_replicas",
                "minReplicas augur holds raised on the HPA (absent when not raised).",
            ),
            forecast_healthy=gauge(
                "augur_scaling_forecast_healthy",
                "1 when the policy's forecast may steer replicas, else 0.",
            ),
            forecast_mase=gauge(
                "augur_scaling_forecast_mase",
                "Held-out MASE of the policy's forecast (below 1 beats seasonal naive).",
            ),
            forecast_coverage=gauge(
                "augur_scaling_forecast_coverage",
                "Held-out share of the load at or below the forecast's upper quantile.",
            ),
            last_evaluation=gauge(
                "augur_scaling_last_evaluation_timestamp_seconds",
                "When the policy was last evaluated (Unix seconds).",
            ),
            evaluations=Counter(
                "augur_scaling_evaluations_total",
                "ScalingPolicy evaluations, by the reason of their Ready condition.",
                ["result"],
                registry=registry,
            ),
        )

    def record(self, namespace: str, name: str, values: PolicyMetricValues) -> None:
        """Set one policy's series from an evaluation; a None value drops its series."""
        labels = (namespace, name)
        optional = (
            (self.recommended_replicas, values.recommended_replicas),
            (self.current_replicas, values.current_replicas),
            (self.applied_min_replicas, values.applied_min_replicas),
            (self.forecast_mase, values.mase),
            (self.forecast_coverage, values.coverage),
        )
        for gauge, value in optional:
            if value is None:
                with contextlib.suppress(KeyError):
                    gauge.remove(*labels)
            else:
                gauge.labels(*labels).set(value)
        self.forecast_healthy.labels(*labels).set(1 if values.healthy else 0)
        self.last_evaluation.labels(*labels).set(values.evaluated_at)
        self.evaluations.labels(values.result).inc()
        wanted = {quantile for quantile, _ in values.forecast}
        for quantile in self._quantiles.get(labels, set()) - wanted:
            with contextlib.suppress(KeyError):
                self.forecast_value.remove(*labels, quantile)
        for quantile, value in values.forecast:
            self.forecast_value.labels(*labels, quantile).set(value)
        self._quantiles[labels] = wanted

    def forget(self, namespace: str, name: str) -> None:
        """Drop every series of a deleted policy."""
        labels = (namespace, name)
        for gauge in (
            self.recommended_replicas,
            self.current_replicas,
            self.applied_min_replicas,
            self.forecast_healthy,
            self.forecast_mase,
            self.forecast_coverage,
            self.last_evaluation,
        ):
            with contextlib.suppress(KeyError):
                gauge.remove(*labels)
        for quantile in self._quantiles.pop(labels, set()):
            with contextlib.suppress(KeyError):
                self.forecast_value.remove(*labels, quantile)


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
    scaling: ScalingMetrics

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
            scaling=ScalingMetrics.create(registry),
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

"""A BusinessKPI's live value: the query it is read with, and the arithmetic of its status
(achievement, error budget, trend, worst dimensions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from augur.api.businesskpi import BusinessKPISpec
from augur.api.common import duration_seconds
from augur.api.resources import BusinessKPI, MonitoringStack
from augur.render.rules.kpi import kpi_status_query
from augur.render.rules.tenancy import scope_for

Trend = Literal["improving", "stable", "declining"]
_MAX_DIMENSIONS = 5


class Sample(Protocol):
    """One series of a query result (what the Prometheus client returns)."""

    @property
    def labels(self) -> dict[str, str]: ...

    @property
    def value(self) -> float: ...


def kpi_query(kpi: BusinessKPI, stack: MonitoringStack) -> str:
    """The KPI over its objective window, one series per groupBy dimension, as its rules in
    `stack` compute it (`augur.render.rules.kpi.kpi_status_query`): restricted to the KPI's
    namespace as they are when the stack enforces tenancy, so a KPI never reads another
    tenant's series into its status. Raises ValueError (PromQLError, InjectionError) when a
    query cannot be restricted (its rules are rejected for the same reason)."""
    label = stack.spec.tenancy.enforce_namespace_label
    return kpi_status_query(kpi.spec, scope_for(kpi.namespace, stack.namespace, label))


def higher_is_better(spec: BusinessKPISpec) -> bool:
    """True for `>=` and `>` objectives."""
    return spec.objective.comparison in (">=", ">")


def objective_met(spec: BusinessKPISpec, value: float) -> bool:
    """Whether `value` is on the good side of the target."""
    target = spec.objective.target
    return {
        ">=": value >= target,
        ">": value > target,
        "<=": value <= target,
        "<": value < target,
    }[spec.objective.comparison]


def achievement(spec: BusinessKPISpec, value: float) -> float | None:
    """current / target, inverted for `<=` (1 means exactly on target; above 1 is better)."""
    target = spec.objective.target
    if higher_is_better(spec):
        return value / target if target else None
    return target / value if value else None


def error_budget_remaining(spec: BusinessKPISpec, value: float) -> float | None:
    """Share of the error budget left (ratio KPIs): 1 - (1 - value) / (1 - target)."""
    if spec.indicator.ratio is None:
        return None
    budget = 1 - spec.objective.target
    return 1 - (1 - value) / budget if budget > 0 else None


def trend(spec: BusinessKPISpec, now: float, before: float | None) -> Trend:
    """improving / declining when the KPI moved by at least 1% of the target, else stable."""
    if before is None or abs(now - before) < 0.01 * abs(spec.objective.target):
        return "stable"
    better = now > before if higher_is_better(spec) else now < before
    return "improving" if better else "declining"


def trend_offset_seconds(spec: BusinessKPISpec) -> float:
    """How far back the trend looks: one tenth of the objective window."""
    return duration_seconds(spec.objective.window) / 10


@dataclass
class KPIReading:
    """What one evaluation found."""

    current: float | None
    dimensions: list[tuple[dict[str, str], float]] = field(default_factory=list)


def worst(spec: BusinessKPISpec, samples: Sequence[Sample]) -> KPIReading:
    """The worst dimension (lowest for >=, highest for <=) and the worst few, in order."""
    if not samples:
        return KPIReading(None)
    ordered = sorted(samples, key=lambda s: s.value, reverse=not higher_is_better(spec))
    dims = [(s.labels, s.value) for s in ordered[:_MAX_DIMENSIONS]] if spec.group_by else []
    return KPIReading(ordered[0].value, dims)

"""A BusinessKPI's status from what each selecting stack's Prometheus answered."""

from __future__ import annotations

from typing import Any

from augur.api.businesskpi import BusinessKPISpec
from augur.api.resources import BusinessKPI
from augur.status.conditions import Cond, merge_conditions
from augur.status.kpi import (
    KPIReading,
    achievement,
    error_budget_remaining,
    objective_met,
    trend,
)

KPIOutcome = tuple[list[Cond], dict[str, Any]]
"""What one stack found of one KPI: the conditions and the status values it read."""

ACCEPTED = Cond("Accepted", "True", "Valid", "the spec is valid")


def not_evaluated() -> KPIOutcome:
    """No stack has read the KPI yet."""
    return [ACCEPTED, Cond("Ready", "Unknown", "NotEvaluated", "")], {}


def not_selected() -> list[Cond]:
    """The conditions of a valid KPI that no stack selects."""
    return [ACCEPTED, Cond("Ready", "False", "NotSelected", "no MonitoringStack selects it")]


def kpi_status(
    kpi: BusinessKPI,
    conds: list[Cond],
    values: dict[str, Any],
    existing: dict[str, Any],
    now: str,
) -> dict[str, Any]:
    """The status of a BusinessKPI: its values and conditions."""
    generation = kpi.metadata.generation
    return {
        "observedGeneration": generation,
        "target": kpi.spec.objective.target,
        **values,
        "conditions": merge_conditions(
            list(existing.get("conditions") or []), conds, generation=generation, now=now
        ),
    }


def invalid_kpi_status(
    message: str, generation: int | None, existing: dict[str, Any], now: str
) -> dict[str, Any]:
    """The status of a BusinessKPI whose spec does not parse (`message` says why)."""
    conds = [
        Cond("Accepted", "False", "InvalidSpec", message),
        Cond("Ready", "False", "InvalidSpec", "not loaded: the spec is invalid"),
    ]
    return {
        "observedGeneration": generation,
        "conditions": merge_conditions(
            list(existing.get("conditions") or []), conds, generation=generation, now=now
        ),
    }


def read_outcome(
    spec: BusinessKPISpec, reading: KPIReading, earlier: float | None, now: str
) -> KPIOutcome:
    """Conditions and values from a reading now and the value one trend offset earlier."""
    current = reading.current
    if current is None:
        return [
            ACCEPTED,
            Cond("Ready", "False", "NoData", "Prometheus has no data for the KPI's query yet"),
        ], {"lastEvaluated": now}
    values: dict[str, Any] = {
        "current": round(current, 6),
        "achievement": _rounded(achievement(spec, current)),
        "errorBudgetRemaining": _rounded(error_budget_remaining(spec, current)),
        "trend": trend(spec, current, earlier),
        "lastEvaluated": now,
        "dimensions": [
            {"labels": labels, "value": round(v, 6)} for labels, v in reading.dimensions
        ],
    }
    met = objective_met(spec, current)
    objective = Cond(
        "ObjectiveMet",
        "True" if met else "False",
        "OnTarget" if met else "OffTarget",
        f"{current:.4g} {spec.objective.comparison} {spec.objective.target:g} is {str(met).lower()}",
    )
    return [ACCEPTED, Cond("Ready", "True", "Evaluated", "read from Prometheus"), objective], values


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def prometheus_disabled(stack_key: str) -> KPIOutcome:
    """A stack without Prometheus cannot read the KPI."""
    return [
        ACCEPTED,
        Cond("Ready", "False", "PrometheusDisabled", f"stack {stack_key} runs no Prometheus"),
    ], {}


def prometheus_unreachable(
    stack_key: str, url: str, error: str, reason: str = "PrometheusUnreachable"
) -> KPIOutcome:
    """The stack's Prometheus did not answer, refused the query, or answered something that
    is not a query result (`reason` says which)."""
    return [
        ACCEPTED,
        Cond(
            "Ready",
            "False",
            reason,
            f"no value yet: the Prometheus of stack {stack_key} ({url}) cannot be queried: {error}",
        ),
    ], {}


def rejected(stack_key: str, problems: list[str]) -> KPIOutcome:
    """The stack left the KPI's rules out (`problems` say why): it is not read there."""
    return [
        Cond("Accepted", "False", "Rejected", "; ".join(problems)),
        Cond("Ready", "False", "Rejected", f"not loaded by stack {stack_key}"),
    ], {}


def query_invalid(stack_key: str, error: str) -> KPIOutcome:
    """The KPI's query cannot be built for this stack (e.g. not restrictable to its tenant)."""
    return [
        ACCEPTED,
        Cond("Ready", "False", "QueryInvalid", f"not read by stack {stack_key}: {error}"),
    ], {}


def evaluation_failed(stack_key: str, error: str) -> KPIOutcome:
    """Reading the KPI failed in a way nothing else names (the operator logs the details)."""
    return [
        ACCEPTED,
        Cond("Ready", "False", "EvaluationFailed", f"not read by stack {stack_key}: {error}"),
    ], {}


def routing_condition(kpi: BusinessKPI, stack_key: str, loaded_policies: set[str]) -> Cond:
    """`Routed`: where the KPI's alerts go in this stack. A `policyRef` to an AlertPolicy the
    stack does not load (missing, invalid, refused, or not selected) cannot route them: they
    take the stack's default route, and the condition says so."""
    ref = kpi.spec.alerting.policy_ref
    if ref is None:
        return Cond(
            "Routed", "True", "StackDefaultRoute", "the alerts take the stack's default route"
        )
    policy = f"{kpi.namespace}/{ref.name}"
    if policy in loaded_policies:
        return Cond(
            "Routed", "True", "PolicyRoute", f"the alerts take AlertPolicy {policy}'s route"
        )
    return Cond(
        "Routed",
        "False",
        "PolicyNotLoaded",
        f"alerting.policyRef names AlertPolicy {policy}, which stack {stack_key} does not load "
        "(it does not exist, is invalid or refused, or the stack does not select it): the "
        "alerts take the stack's default route",
    )


def combined_kpi_values(readings: dict[str, KPIOutcome], stacks: list[str]) -> KPIOutcome:
    """One status from each selecting stack's reading: conditions and values from the first
    stack (in name order) that has read the KPI, and `byStack` when several select it."""
    known = [s for s in stacks if s in readings]
    if not known:
        return not_evaluated()
    conds, values = readings[known[0]]
    values = dict(values)
    if len(stacks) > 1:
        values["byStack"] = {
            s: readings[s][1]["current"] for s in known if "current" in readings[s][1]
        }
    return conds, values


def null_gone_stacks(values: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    """`values` with `byStack` entries of stacks no longer reading the KPI set to null: a
    merge patch keeps keys it does not mention."""
    stale = existing.get("byStack") or {}
    if not stale:
        return values
    fresh = values.get("byStack") or {}
    return {**values, "byStack": {**dict.fromkeys(stale), **fresh} if fresh else None}

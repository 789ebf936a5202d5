"""Read each BusinessKPI of a stack from its Prometheus and write the KPI's status."""

from __future__ import annotations

import time
from typing import Any

from augur.api.resources import BusinessKPI, MonitoringStack
from augur.handlers.kpi import (
    achievement,
    error_budget_remaining,
    kpi_query,
    objective_met,
    trend,
    trend_offset_seconds,
    worst,
)
from augur.handlers.runtime import Runtime, now_rfc3339
from augur.kube.conditions import Cond, merge_conditions
from augur.prom.client import PromClient, PromError

ACCEPTED = Cond("Accepted", "True", "Valid", "the spec is valid")


def kpi_status(
    kpi: BusinessKPI,
    conds: list[Cond],
    values: dict[str, Any],
    existing: dict[str, Any],
) -> dict[str, Any]:
    """The status of a BusinessKPI: its values and conditions."""
    generation = kpi.metadata.generation
    return {
        "observedGeneration": generation,
        "target": kpi.spec.objective.target,
        **values,
        "conditions": merge_conditions(
            list(existing.get("conditions") or []), conds, generation=generation, now=now_rfc3339()
        ),
    }


async def _read(client: PromClient, kpi: BusinessKPI) -> tuple[list[Cond], dict[str, Any]]:
    spec = kpi.spec
    query = kpi_query(spec)
    now = time.time()
    reading = worst(spec, await client.query(query, now))
    if reading.current is None:
        return [
            ACCEPTED,
            Cond("Ready", "False", "NoData", "Prometheus has no data for the KPI's query yet"),
        ], {"lastEvaluated": now_rfc3339()}
    earlier = worst(spec, await client.query(query, now - trend_offset_seconds(spec))).current
    current = reading.current
    values: dict[str, Any] = {
        "current": round(current, 6),
        "achievement": _rounded(achievement(spec, current)),
        "errorBudgetRemaining": _rounded(error_budget_remaining(spec, current)),
        "trend": trend(spec, current, earlier),
        "lastEvaluated": now_rfc3339(),
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


async def _evaluate(
    runtime: Runtime, stack: MonitoringStack, kpi: BusinessKPI, url: str
) -> tuple[list[Cond], dict[str, Any]]:
    """Conditions and values of one KPI as this stack's Prometheus computes it."""
    if not stack.spec.prometheus.enabled:
        return [
            ACCEPTED,
            Cond("Ready", "False", "PrometheusDisabled", f"stack {stack.key} runs no Prometheus"),
        ], {}
    if runtime.session is None:
        return [ACCEPTED, Cond("Ready", "Unknown", "NotEvaluated", "")], {}
    client = PromClient(url, runtime.session, timeout=5)
    try:
        reading = await _read(client, kpi)
    except PromError as error:
        runtime.metrics.kpi_evaluations.labels("unreachable").inc()
        return [
            ACCEPTED,
            Cond(
                "Ready",
                "False",
                "PrometheusUnreachable",
                f"no value yet: the Prometheus of stack {stack.key} ({url}) cannot be "
                f"queried: {error}",
            ),
        ], {}
    runtime.metrics.kpi_evaluations.labels("ok").inc()
    return reading


def combined_kpi_values(
    readings: dict[str, tuple[list[Cond], dict[str, Any]]], stacks: list[str]
) -> tuple[list[Cond], dict[str, Any]]:
    """One status from each selecting stack's reading: conditions and values from the first
    stack (in name order) that has read the KPI, and `byStack` when several select it."""
    known = [s for s in stacks if s in readings]
    if not known:
        return [ACCEPTED, Cond("Ready", "Unknown", "NotEvaluated", "")], {}
    conds, values = readings[known[0]]
    values = dict(values)
    if len(stacks) > 1:
        values["byStack"] = {
            s: readings[s][1]["current"] for s in known if "current" in readings[s][1]
        }
    return conds, values


async def evaluate_kpis(
    runtime: Runtime, stack: MonitoringStack, kpis: list[BusinessKPI], url: str
) -> None:
    """Read the KPIs this stack selects from its Prometheus; write each KPI's status from
    the readings of every stack that selects it."""
    catalog = runtime.catalog
    assert catalog is not None
    entries = {e.key: e for e in catalog.business_kpis()}
    for kpi in kpis:
        entry = entries.get(kpi.key)
        if entry is None:
            continue
        stacks = catalog.stacks_selecting(entry)
        readings = runtime.kpi_readings.setdefault(kpi.key, {})
        readings[stack.key] = await _evaluate(runtime, stack, kpi, url)
        for gone in set(readings) - set(stacks):
            del readings[gone]
        conds, values = combined_kpi_values(readings, stacks)
        existing = runtime.live_status.get(("BusinessKPI", kpi.key)) or {}
        stale = existing.get("byStack") or {}
        if stale:  # a merge patch keeps keys it does not mention: null what is gone
            fresh = values.get("byStack") or {}
            values["byStack"] = {**dict.fromkeys(stale), **fresh} if fresh else None
        status = kpi_status(kpi, conds, values, existing)
        await runtime.write_status("BusinessKPI", kpi.namespace, kpi.name, status)


async def write_unselected_kpi_status(runtime: Runtime, kpi: BusinessKPI) -> None:
    """A valid KPI that no stack selects says so."""
    existing = runtime.live_status.get(("BusinessKPI", kpi.key)) or {}
    conds = [ACCEPTED, Cond("Ready", "False", "NotSelected", "no MonitoringStack selects it")]
    await runtime.write_status(
        "BusinessKPI", kpi.namespace, kpi.name, kpi_status(kpi, conds, {}, existing)
    )

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


async def evaluate_kpis(
    runtime: Runtime, stack: MonitoringStack, kpis: list[BusinessKPI], url: str
) -> None:
    """Evaluate the KPIs this stack is first (in name order) to select."""
    catalog = runtime.catalog
    assert catalog is not None
    for kpi in kpis:
        entry = next((e for e in catalog.business_kpis() if e.key == kpi.key), None)
        if entry is None or catalog.stacks_selecting(entry)[:1] != [stack.key]:
            continue
        existing = runtime.live_status.get(("BusinessKPI", kpi.key)) or {}
        if not stack.spec.prometheus.enabled:
            conds = [
                ACCEPTED,
                Cond(
                    "Ready", "False", "PrometheusDisabled", f"stack {stack.key} runs no Prometheus"
                ),
            ]
            values: dict[str, Any] = {}
        elif runtime.session is None:
            conds, values = [ACCEPTED, Cond("Ready", "Unknown", "NotEvaluated", "")], {}
        else:
            client = PromClient(url, runtime.session, timeout=5)
            try:
                conds, values = await _read(client, kpi)
                runtime.metrics.kpi_evaluations.labels("ok").inc()
            except PromError as error:
                runtime.metrics.kpi_evaluations.labels("unreachable").inc()
                conds = [
                    ACCEPTED,
                    Cond(
                        "Ready",
                        "False",
                        "PrometheusUnreachable",
                        f"no value yet: the Prometheus of stack {stack.key} ({url}) cannot be "
                        f"queried: {error}",
                    ),
                ]
                values = {}
        status = kpi_status(kpi, conds, values, existing)
        await runtime.write_status("BusinessKPI", kpi.namespace, kpi.name, status)


async def write_unselected_kpi_status(runtime: Runtime, kpi: BusinessKPI) -> None:
    """A valid KPI that no stack selects says so."""
    existing = runtime.live_status.get(("BusinessKPI", kpi.key)) or {}
    conds = [ACCEPTED, Cond("Ready", "False", "NotSelected", "no MonitoringStack selects it")]
    await runtime.write_status(
        "BusinessKPI", kpi.namespace, kpi.name, kpi_status(kpi, conds, {}, existing)
    )

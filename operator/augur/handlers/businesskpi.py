"""kopf handlers of BusinessKPI: index it, and re-render the stacks that select it."""

from __future__ import annotations

from typing import Any

import kopf

from augur.api.resources import BusinessKPI
from augur.handlers.catalog import Entry
from augur.handlers.kpi_status import kpi_status, write_unselected_kpi_status
from augur.handlers.monitoringstack import record
from augur.handlers.registry import BUSINESS_KPIS, registry
from augur.handlers.runtime import Runtime, now_rfc3339
from augur.kube.conditions import Cond, merge_conditions


@kopf.index(*BUSINESS_KPIS, registry=registry)
def business_kpi_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every BusinessKPI, parsed (valid or not)."""
    entry = record("BusinessKPI", body, memo)
    return {entry.key: entry}


@kopf.on.event(*BUSINESS_KPIS, registry=registry)
async def business_kpi_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Parse → tell the stacks that select it → status when it is invalid or unselected."""
    runtime: Runtime = memo["runtime"]
    entry = runtime.parsed.entry(body)
    if type == "DELETED":
        runtime.forget("BusinessKPI", entry.key, entry.uid)
        runtime.poke(list(runtime.workers))
        return
    if not runtime.changed(entry) or runtime.catalog is None:
        return
    stacks = runtime.catalog.stacks_selecting(entry)
    runtime.poke(list(runtime.workers) if entry.resource is None else stacks)
    if entry.resource is None:
        message = "; ".join(str(p) for p in entry.problems)
        existing = runtime.live_status.get(("BusinessKPI", entry.key)) or {}
        conds = [
            Cond("Accepted", "False", "InvalidSpec", message),
            Cond("Ready", "False", "InvalidSpec", "not loaded: the spec is invalid"),
        ]
        status = {
            "observedGeneration": entry.generation,
            "conditions": merge_conditions(
                list(existing.get("conditions") or []),
                conds,
                generation=entry.generation,
                now=now_rfc3339(),
            ),
        }
        await runtime.write_status("BusinessKPI", entry.namespace, entry.name, status)
        await runtime.event(
            "BusinessKPI", entry.namespace, entry.name, "Warning", "InvalidSpec", message, entry.uid
        )
    elif not stacks and isinstance(entry.resource, BusinessKPI):
        await write_unselected_kpi_status(runtime, entry.resource)


__all__ = ["business_kpi_event", "business_kpi_index", "kpi_status"]

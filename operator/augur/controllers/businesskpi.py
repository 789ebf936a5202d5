"""kopf handlers of BusinessKPI: index it, and re-render the stacks that select it."""

from __future__ import annotations

from typing import Any

import kopf

from augur.api.resources import BusinessKPI
from augur.controllers.kpi_reader import write_unselected_kpi_status
from augur.controllers.registry import BUSINESS_KPIS, registry
from augur.controllers.state import OperatorState, now_rfc3339
from augur.status.catalog import Entry
from augur.status.kpi_status import invalid_kpi_status

KIND = "BusinessKPI"


@kopf.index(*BUSINESS_KPIS, registry=registry)
def business_kpi_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every BusinessKPI, parsed (valid or not)."""
    state: OperatorState = memo["state"]
    entry = state.index(KIND, body)
    return {entry.key: entry}


@kopf.on.event(*BUSINESS_KPIS, registry=registry)
async def business_kpi_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Parse → tell the stacks that select it → status when it is invalid or unselected."""
    state: OperatorState = memo["state"]
    entry = state.parsed.entry(body)
    if type == "DELETED":
        state.forget(KIND, entry.key, entry.uid)
        state.workers.poke_all()
        return
    if not state.changed(entry) or state.catalog is None:
        return
    stacks = state.catalog.stacks_selecting(entry)
    if entry.resource is None:
        state.workers.poke_all()
        message = entry.problem_summary
        existing = state.statuses.known(KIND, entry.key)
        status = invalid_kpi_status(message, entry.generation, existing, now_rfc3339())
        await state.statuses.write(KIND, entry.namespace, entry.name, status)
        await state.events.post(
            KIND, entry.namespace, entry.name, "Warning", "InvalidSpec", message, entry.uid
        )
        return
    state.workers.poke(stacks)
    if not stacks and isinstance(entry.resource, BusinessKPI):
        await write_unselected_kpi_status(state, entry.resource)

"""kopf handlers of AlertPolicy: index it, and re-render the stacks that select it."""

from __future__ import annotations

from typing import Any

import kopf

from augur.controllers.policy_status import write_policy_status, writes_status_of
from augur.controllers.registry import ALERT_POLICIES, registry
from augur.controllers.state import OperatorState
from augur.status.catalog import Entry

KIND = "AlertPolicy"


@kopf.index(*ALERT_POLICIES, registry=registry)
def alert_policy_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every AlertPolicy, parsed (valid or not)."""
    state: OperatorState = memo["state"]
    entry = state.index(KIND, body)
    return {entry.key: entry}


@kopf.on.event(*ALERT_POLICIES, registry=registry)
async def alert_policy_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Parse → tell the stacks that select it (now or before) → status when no stack will."""
    state: OperatorState = memo["state"]
    entry = state.parsed.entry(body)
    if type == "DELETED":
        state.workers.poke(state.policy_views.forget_policy(entry.key))
        state.forget(KIND, entry.key, entry.uid)
        return
    if not state.changed(entry) or state.catalog is None:
        return
    stacks = set(state.catalog.stacks_selecting(entry)) | set(
        state.policy_views.stacks_viewing(entry.key)
    )
    state.workers.poke(stacks)
    if (entry.resource is None or not stacks) and writes_status_of(state, entry):
        await write_policy_status(state, entry)

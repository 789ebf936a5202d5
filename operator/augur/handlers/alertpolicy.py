"""kopf handlers of AlertPolicy: index it, and re-render the stacks that select it."""

from __future__ import annotations

from typing import Any

import kopf

from augur.handlers.catalog import Entry
from augur.handlers.monitoringstack import record
from augur.handlers.registry import ALERT_POLICIES, registry
from augur.handlers.runtime import Runtime
from augur.handlers.worker import write_policy_status


@kopf.index(*ALERT_POLICIES, registry=registry)
def alert_policy_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every AlertPolicy, parsed (valid or not)."""
    entry = record("AlertPolicy", body, memo)
    return {entry.key: entry}


@kopf.on.event(*ALERT_POLICIES, registry=registry)
async def alert_policy_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Parse → tell the stacks that select it (now or before) → status when no stack will."""
    runtime: Runtime = memo["runtime"]
    entry = runtime.parsed.entry(body)
    if type == "DELETED":
        runtime.poke(list(runtime.policy_views.pop(entry.key, {})))
        runtime.forget("AlertPolicy", entry.key, entry.uid)
        return
    if not runtime.changed(entry) or runtime.catalog is None:
        return
    stacks = set(runtime.catalog.stacks_selecting(entry)) | set(
        runtime.policy_views.get(entry.key, {})
    )
    runtime.poke(stacks)
    if entry.resource is None or not stacks:
        await write_policy_status(runtime, entry)

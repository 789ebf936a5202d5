"""kopf handlers of MonitoringStack: index, change notification, the worker, the finalizer."""

from __future__ import annotations

from typing import Any

import kopf

from augur.controllers.policy_status import write_policy_status, writes_status_of
from augur.controllers.registry import STACKS, in_shard, registry
from augur.controllers.stack_cleanup import cleanup_stack
from augur.controllers.stack_worker import StackWorker
from augur.controllers.state import OperatorState
from augur.render.k8s.labels import StackRef
from augur.status.catalog import Entry

KIND = "MonitoringStack"


@kopf.index(*STACKS, registry=registry)
def stack_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every stack, parsed."""
    state: OperatorState = memo["state"]
    entry = state.index(KIND, body)
    return {entry.key: entry}


@kopf.on.event(*STACKS, registry=registry)
async def stack_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A stack's spec, labels or deletion changed: its worker re-renders."""
    state: OperatorState = memo["state"]
    entry = state.parsed.entry(body)
    foreign = not state.in_shard(entry.labels)
    if type == "DELETED":
        state.forget(KIND, entry.key, entry.uid)
        if foreign:
            state.foreign_stack_changed()
        return
    if state.changed(entry):
        if foreign:
            state.foreign_stack_changed()
        else:
            state.workers.poke([entry.key])


@kopf.daemon(*STACKS, registry=registry, cancellation_timeout=10, when=in_shard)
async def stack_worker(
    name: str, namespace: str | None, memo: Any, stopped: kopf.DaemonStopped, **_: Any
) -> None:
    """Keep the stack reconciled while it exists, is this shard's, and this replica is the
    active one of its shard."""
    state: OperatorState = memo["state"]
    key = f"{namespace}/{name}"
    worker = StackWorker(state, key)
    state.workers.started(key, worker)
    try:
        await worker.run(lambda: bool(stopped))
    finally:
        state.workers.stopped(key, worker)


@kopf.on.delete(*STACKS, registry=registry, when=in_shard)
async def stack_deleted(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    """Remove what garbage collection cannot (other namespaces, cluster scope), retrying with
    backoff until done (`stack_cleanup`); then tell the policies the stack selected."""
    state: OperatorState = memo["state"]
    meta = body["metadata"]
    ref = StackRef(str(body["apiVersion"]), KIND, meta["namespace"], meta["name"], meta["uid"])
    await cleanup_stack(state, ref, retry)
    state.metrics.forget_stack(ref.key)
    policies = state.policy_views.forget_stack(ref.key)
    if state.catalog is None:
        return
    entries = {e.key: e for e in state.catalog.alert_policies()}
    for policy_key in policies:
        entry = entries.get(policy_key)
        if entry is not None and writes_status_of(state, entry):
            await write_policy_status(state, entry)

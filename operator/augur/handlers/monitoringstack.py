"""kopf handlers of MonitoringStack: index, change notification, the worker, the finalizer."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from augur.handlers.catalog import Entry
from augur.handlers.registry import STACKS, registry
from augur.handlers.runtime import Runtime
from augur.handlers.worker import StackWorker, write_policy_status
from augur.kube.errors import KubeError
from augur.kube.sync import StackObjects
from augur.render.k8s.labels import StackRef


def record(kind: str, body: kopf.Body, memo: kopf.Memo) -> Entry:
    """Parse a body (cached) and remember its live status."""
    runtime: Runtime = memo["runtime"]
    entry = runtime.parsed.entry(body)
    runtime.live_status[(kind, entry.key)] = dict(body.get("status") or {})
    return entry


@kopf.index(*STACKS, registry=registry)
def stack_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every stack, parsed."""
    entry = record("MonitoringStack", body, memo)
    return {entry.key: entry}


@kopf.on.event(*STACKS, registry=registry)
async def stack_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A stack's spec, labels or deletion changed: its worker re-renders."""
    runtime: Runtime = memo["runtime"]
    entry = runtime.parsed.entry(body)
    if type == "DELETED":
        runtime.forget("MonitoringStack", entry.key, entry.uid)
        return
    if runtime.changed(entry):
        runtime.poke([entry.key])


@kopf.daemon(*STACKS, registry=registry, cancellation_timeout=10)
async def stack_worker(
    name: str, namespace: str | None, memo: Any, stopped: kopf.DaemonStopped, **_: Any
) -> None:
    """Keep the stack reconciled while it exists (and while this replica is the active one)."""
    runtime: Runtime = memo["runtime"]
    key = f"{namespace}/{name}"
    worker = StackWorker(runtime, key)
    runtime.workers[key] = worker
    try:
        await worker.run(lambda: bool(stopped))
    finally:
        if runtime.workers.get(key) is worker:
            del runtime.workers[key]


@kopf.on.delete(*STACKS, registry=registry)
async def stack_deleted(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """Remove what garbage collection cannot (other namespaces, cluster scope); tell policies."""
    runtime: Runtime = memo["runtime"]
    meta = body["metadata"]
    ref = StackRef(
        str(body["apiVersion"]), "MonitoringStack", meta["namespace"], meta["name"], meta["uid"]
    )
    try:
        deleted = await asyncio.to_thread(StackObjects(runtime.kube, ref).cleanup_unowned)
    except KubeError as error:
        if error.permanent:
            logger.warning("cleanup of %s incomplete: %s", ref.key, error)
            deleted = []
        else:
            raise kopf.TemporaryError(f"cleanup of {ref.key}: {error}", delay=5) from None
    if deleted:
        logger.info("stack %s: deleted %d objects outside its namespace", ref.key, len(deleted))
    runtime.metrics.forget_stack(ref.key)
    catalog = runtime.catalog
    for policy_key, views in list(runtime.policy_views.items()):
        if views.pop(ref.key, None) is None or catalog is None:
            continue
        entry = next((e for e in catalog.alert_policies() if e.key == policy_key), None)
        if entry is not None:
            await write_policy_status(runtime, entry)

"""kopf handlers of ScalingPolicy: index it, tell the stacks that select it, one evaluation
worker per policy, and the restore of the HPA's minimum when the policy is deleted."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from augur.controllers.registry import SCALING_POLICIES, in_shard, registry
from augur.controllers.scaling_report import KIND, ScalingReport
from augur.controllers.state import OperatorState
from augur.kube.errors import KubeError
from augur.scaling.inputs import is_paused
from augur.scaling.kept import kept_state_from_status
from augur.status.catalog import Entry

logger = logging.getLogger("augur.operator")


@kopf.index(*SCALING_POLICIES, registry=registry)
def scaling_policy_index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
    """Every ScalingPolicy, parsed (valid or not)."""
    state: OperatorState = memo["state"]
    entry = state.index(KIND, body)
    return {entry.key: entry}


@kopf.on.event(*SCALING_POLICIES, registry=registry)
async def scaling_policy_event(
    type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any
) -> None:
    """Parse → tell the stacks that select it (now or before) and its worker, on a change of
    its spec, labels or pause annotation (never on its own status writes)."""
    state: OperatorState = memo["state"]
    entry = state.parsed.entry(body)
    if type == "DELETED":
        state.workers.poke(state.scaling_stacks.pop(entry.key, set()))
        state.forget(KIND, entry.key, entry.uid)
        return
    paused = is_paused(body.get("metadata") or {})
    changed = state.changed(entry)
    if state.seen.changed("ScalingPolicyPause", entry.key, paused) or changed:
        state.scaling_workers.poke([entry.key])
    if not changed or state.catalog is None:
        return
    stacks = set(state.catalog.stacks_selecting(entry))
    state.workers.poke(stacks | state.scaling_stacks.get(entry.key, set()))
    state.scaling_stacks[entry.key] = stacks


@kopf.daemon(*SCALING_POLICIES, registry=registry, cancellation_timeout=10, when=in_shard)
async def scaling_policy_worker(
    name: str,
    namespace: str | None,
    meta: kopf.Meta,
    memo: Any,
    stopped: kopf.DaemonStopped,
    **_: Any,
) -> None:
    """Evaluate the policy while it exists (and while this replica is the active one)."""
    # The evaluation's modules (the forecast, numpy) load with the first policy, not at startup.
    from augur.controllers.scaling_worker import ScalingWorker

    state: OperatorState = memo["state"]
    key = f"{namespace}/{name}"
    worker = ScalingWorker(state, key, lambda: dict(meta.annotations))
    state.scaling_workers.started(key, worker)
    try:
        await worker.run(lambda: bool(stopped))
    finally:
        state.scaling_workers.stopped(key, worker)


@kopf.on.delete(*SCALING_POLICIES, registry=registry, when=in_shard)
async def scaling_policy_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Give the HPA (or ScaledObject) its original minimum back before the policy goes."""
    from augur.controllers.scaling_steer import restore_steered  # as ScalingWorker, lazily

    state: OperatorState = memo["state"]
    meta = body["metadata"]
    namespace, name = str(meta["namespace"]), str(meta["name"])
    key = f"{namespace}/{name}"
    kept = kept_state_from_status(dict(body.get("status") or {}))
    hpa_ref = (body.get("spec") or {}).get("hpaRef") or {}
    hpa_name = hpa_ref.get("name") if isinstance(hpa_ref.get("name"), str) else None
    async with state.scaling_lock(key):
        try:
            notes = await restore_steered(state, namespace, kept.steered, hpa_name)
        except KubeError as error:
            if error.permanent:  # e.g. forbidden: retrying cannot help, let the policy go
                logger.warning("the minimum of %s not restored: %s", key, error)
                notes = []
            else:
                raise kopf.TemporaryError(
                    f"restoring the minimum of {key}: {error}", delay=5
                ) from None
    entry = state.parsed.entry(body)
    await ScalingReport(state).post(entry, notes)
    state.metrics.scaling.forget(namespace, name)

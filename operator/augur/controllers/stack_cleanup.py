"""A deleted stack's cleanup: stop its applies, delete what garbage collection cannot, and
keep the finalizer, retrying with backoff, until that is done.

The policy: the finalizer is removed only once every object of the stack outside its
namespace (and every cluster-scoped one) is gone. A failure, transient (5xx, timeout) or
not (403: the operator may not delete a ClusterRole), is retried with exponential backoff
(5 s doubling to 5 min) and reported on the stack as `Reconciled=False` with reason
`CleanupFailed` and a Warning Event naming the objects, so nothing is left behind silently
and nothing retries in a hot loop. To abandon a stack whose cleanup cannot succeed, remove the
finalizer by hand and delete the objects by their `augur.dev/stack-uid` label (README,
"Uninstall")."""

from __future__ import annotations

import asyncio
import logging

import kopf

from augur.controllers.state import OperatorState, now_rfc3339
from augur.kube.sync import CleanupResult, StackObjects
from augur.render.k8s.labels import StackRef
from augur.status.conditions import Cond, merge_conditions

logger = logging.getLogger("augur.operator")

KIND = "MonitoringStack"
DELAY_MIN = 5.0
DELAY_MAX = 300.0


def cleanup_delay(retry: int) -> float:
    """Seconds before the next attempt after `retry` failed ones: 5 s, doubling, at most 5 min."""
    return min(DELAY_MAX, DELAY_MIN * 2.0 ** min(max(retry, 0), 16))


def failure_message(result: CleanupResult, delay: float) -> str:
    """What could not be deleted and why (the first few), and when it is tried again."""
    items = [f"{key}: {error.reason or error.status}" for key, error in result.failures.items()]
    shown = "; ".join(items[:5]) + (f"; and {len(items) - 5} more" if len(items) > 5 else "")
    return f"cleanup incomplete, {len(items)} failed ({shown}); retrying in {delay:.0f}s"


async def cleanup_stack(state: OperatorState, ref: StackRef, retry: int) -> CleanupResult:
    """Stop the stack's applies (waiting for one that runs), then delete what it owns outside
    its namespace. Raises kopf.TemporaryError, with the backoff delay of attempt `retry`,
    after saying on the stack what could not be deleted."""
    # A sync still running (in a thread) could apply objects again after they are deleted:
    # the fence waits for it and refuses every later one.
    await asyncio.to_thread(state.fence(ref.uid).close)
    result = await asyncio.to_thread(
        StackObjects(state.kube, ref, state.config.list_scope).cleanup_unowned
    )
    if result.deleted:
        logger.info(
            "stack %s: deleted %d objects outside its namespace", ref.key, len(result.deleted)
        )
    if not result.failures:
        return result
    delay = cleanup_delay(retry)
    message = failure_message(result, delay)
    logger.warning("stack %s: %s", ref.key, message)
    state.metrics.reconcile_errors.labels(KIND, "CleanupFailed").inc()
    existing = state.statuses.known(KIND, ref.key)
    conditions = merge_conditions(
        list(existing.get("conditions") or []),
        [
            Cond("Ready", "False", "Deleting", "the stack is being deleted"),
            Cond("Reconciled", "False", "CleanupFailed", message),
        ],
        generation=existing.get("observedGeneration"),
        now=now_rfc3339(),
    )
    await state.statuses.write(KIND, ref.namespace, ref.name, {"conditions": conditions})
    await state.events.post(
        KIND, ref.namespace, ref.name, "Warning", "CleanupFailed", message, ref.uid
    )
    raise kopf.TemporaryError(message, delay=delay)

"""One worker per ScalingPolicy: evaluate now, every `spec.evaluationInterval`, and at once
after a change of the policy (gather → evaluate in the fit pool → apply → status)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from augur.api.common import Cond, duration_seconds
from augur.api.resources import ScalingPolicy
from augur.controllers.scaling_gather import ScalingGather
from augur.controllers.scaling_pool import PoolBroken
from augur.controllers.scaling_report import KIND, ScalingReport
from augur.controllers.scaling_steer import restore_previous, restore_steered, write_floor
from augur.controllers.stack_worker import Changes
from augur.controllers.state import OperatorState
from augur.kube.errors import KubeError
from augur.scaling.inputs import choose_stack, stack_ref_key
from augur.scaling.kept import kept_state_from_status
from augur.scaling.notes import Note
from augur.scaling.policy import Evaluation, evaluate_policy
from augur.status.catalog import Entry

logger = logging.getLogger("augur.operator")

INVALID_RETRY = 60.0
"""Seconds between looks at a policy that cannot be evaluated (invalid, or not indexed yet)."""
_FLOOR_EVENTS = frozenset({"FloorRaised", "FloorLowered", "FloorRestored"})


def failed_apply(evaluation: Evaluation, error: KubeError) -> tuple[Evaluation, list[Cond]]:
    """The evaluation as reported when its write to the steered object failed: Applied is
    False with the API server's answer, and no Event claims the minimum changed."""
    message = f"the minimum could not be written: {error}"
    conditions = [
        Cond(type="Applied", status="False", reason="ApplyFailed", message=message)
        if c.type == "Applied"
        else c
        for c in evaluation.conditions
    ]
    events = tuple(n for n in evaluation.events if n.reason not in _FLOOR_EVENTS)
    notes = (*events, Note("Warning", "ApplyFailed", message))
    return replace(evaluation, events=notes), conditions


class ScalingWorker:
    """Keeps one policy's recommendation, its HPA's minimum, status and metrics current."""

    def __init__(
        self, state: OperatorState, key: str, annotations: Callable[[], Mapping[str, str]]
    ) -> None:
        self.state = state
        self.key = key
        self.annotations = annotations
        """The policy's annotations as last seen (the pause annotation is read from them)."""
        self.changes = Changes(
            state.config.debounce, state.config.debounce_max, state.config.lone_change
        )
        self.gather = ScalingGather(state)
        self.report = ScalingReport(state)

    def poke(self) -> None:
        """The policy changed: evaluate soon."""
        self.changes.poke()

    async def run(self, stopped: Callable[[], bool]) -> None:
        """Evaluate now, then every interval and after every (coalesced) change."""
        while not stopped():
            interval = INVALID_RETRY
            try:
                interval = await self.evaluate(stopped)
            except PoolBroken as error:  # killed or out of memory: said once by the pool
                logger.warning("evaluation of ScalingPolicy %s: %s", self.key, error)
                self.state.metrics.reconcile_errors.labels(KIND, type(error).__name__).inc()
            except Exception as error:  # never let one policy take the operator down
                logger.exception("evaluation of ScalingPolicy %s failed", self.key)
                self.state.metrics.reconcile_errors.labels(KIND, type(error).__name__).inc()
            await self.changes.wait(stopped, time.monotonic() + interval)

    async def evaluate(self, stopped: Callable[[], bool]) -> float:
        """One evaluation; returns the seconds until the next one is due."""
        catalog = self.state.catalog
        assert catalog is not None, "the catalog is set up at startup"
        async with self.state.scaling.slots, self.state.scaling_lock(self.key):
            entry = catalog.scaling_policy(self.key)
            if entry is None or entry.deleting or stopped():
                return INVALID_RETRY
            if not isinstance(entry.resource, ScalingPolicy):
                await self.invalid(entry)
                return INVALID_RETRY
            await self.evaluate_valid(entry, entry.resource)
            return max(1.0, duration_seconds(entry.resource.spec.evaluation_interval))

    async def invalid(self, entry: Entry) -> None:
        """An invalid policy steers nothing: restore what it held raised, and say why."""
        kept = kept_state_from_status(self.state.statuses.known(KIND, entry.key))
        notes = await restore_steered(self.state, entry.namespace, kept.steered, None)
        await self.report.invalid(entry)
        await self.report.post(entry, notes)

    async def evaluate_valid(self, entry: Entry, policy: ScalingPolicy) -> None:
        """Gather → evaluate (in the bounded fit pool) → apply → status."""
        state = self.state
        assert state.catalog is not None
        spec = policy.spec
        choice = choose_stack(
            state.catalog.stacks_selecting(entry), stack_ref_key(spec, policy.namespace)
        )
        now = time.time()
        observed = await self.gather.observe(policy, choice, self.annotations(), now)
        kept = kept_state_from_status(state.statuses.known(KIND, entry.key))
        notes = await restore_previous(state, policy.namespace, kept.steered, observed.holder)
        evaluation = await state.scaling.fit(
            evaluate_policy, spec, observed, kept, now=now, generation=entry.generation
        )
        conditions = list(evaluation.conditions)
        if evaluation.change is not None and observed.holder is not None:
            try:
                await write_floor(state, observed.holder, evaluation.change)
            except KubeError as error:
                logger.warning("ScalingPolicy %s: %s", entry.key, error)
                evaluation, conditions = failed_apply(evaluation, error)
        await self.report.evaluated(entry, evaluation, conditions)
        await self.report.post(entry, notes)

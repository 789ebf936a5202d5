"""The status step of a ScalingPolicy: its status (conditions merged), Events and metrics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from augur.controllers.state import OperatorState, now_rfc3339
from augur.scaling.notes import Note
from augur.status.catalog import Entry
from augur.status.conditions import Cond, merge_conditions

if TYPE_CHECKING:  # the evaluation (numpy) loads with the first ScalingPolicy's worker
    from augur.scaling.policy import Evaluation

KIND = "ScalingPolicy"


def merged_status(
    fields: dict[str, Any],
    conditions: Sequence[Cond],
    existing: dict[str, Any],
    generation: int | None,
    now: str,
) -> dict[str, Any]:
    """`fields` with `conditions` merged into those the policy carries (a condition keeps its
    lastTransitionTime while its status stays)."""
    wanted = list(conditions)
    merged = merge_conditions(
        list(existing.get("conditions") or []), wanted, generation=generation, now=now
    )
    return {**fields, "conditions": merged}


class ScalingReport:
    """Tells people and Prometheus what one evaluation of a policy found."""

    def __init__(self, state: OperatorState) -> None:
        self.state = state

    async def evaluated(
        self, entry: Entry, evaluation: Evaluation, conditions: Sequence[Cond]
    ) -> None:
        """Write the status, post the Events and set the policy's metrics."""
        state = self.state
        existing = state.statuses.known(KIND, entry.key)
        status = merged_status(
            evaluation.status, conditions, existing, entry.generation, now_rfc3339()
        )
        await state.statuses.write(KIND, entry.namespace, entry.name, status)
        await self.post(entry, evaluation.events)
        state.metrics.scaling.record(entry.namespace, entry.name, evaluation.metrics)

    async def invalid(self, entry: Entry) -> None:
        """The policy's spec does not parse: say so (its Event once per distinct message)."""
        state = self.state
        message = f"invalid spec: {entry.problem_summary}"
        ready = Cond(type="Ready", status="False", reason="InvalidSpec", message=message)
        existing = state.statuses.known(KIND, entry.key)
        status = merged_status(
            {"observedGeneration": entry.generation},
            [ready],
            existing,
            entry.generation,
            now_rfc3339(),
        )
        await state.statuses.write(KIND, entry.namespace, entry.name, status)
        await self.post(entry, [Note("Warning", "InvalidSpec", message)])

    async def post(self, entry: Entry, notes: Iterable[Note]) -> None:
        """Post Events about the policy."""
        for note in notes:
            await self.state.events.post(
                KIND, entry.namespace, entry.name, note.type, note.reason, note.message, entry.uid
            )

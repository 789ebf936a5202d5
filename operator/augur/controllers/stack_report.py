"""The status step of a stack: what a pass found, as its status, Events and metrics."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from augur.controllers.stack_render import Rendered
from augur.controllers.state import OperatorState, now_rfc3339
from augur.kube.sync import SyncResult
from augur.render.alertmanager.credentials import Credentials
from augur.status.catalog import Entry
from augur.status.statuses import (
    StackOutcome,
    promoperator_rejections,
    rule_shards_status,
    service_endpoints,
    stack_status,
)

logger = logging.getLogger("augur.operator")

KIND = "MonitoringStack"


class StackReport:
    """Reports the passes over one stack."""

    def __init__(self, state: OperatorState, key: str) -> None:
        self.state = state
        self.key = key

    def outcome(
        self,
        outcome: StackOutcome,
        rendered: Rendered,
        objects: list[dict[str, Any]],
        result: SyncResult,
        credentials: Credentials,
        invalid_selected: int,
        invalid_promoperator: Mapping[str, str] | None = None,
    ) -> StackOutcome:
        """`outcome` filled in from a render and its apply (and the stack's metrics set)."""
        inputs, output = rendered.inputs, rendered.output
        outcome.policies = len(inputs.alert_policies)
        outcome.kpis = len(inputs.business_kpis)
        outcome.scaling_policies = len(inputs.scaling_policies)
        outcome.prometheus_rules = sum(
            1
            for rule in inputs.prometheus_rules
            if f"{rule.kind_name}/{rule.key}" not in output.rejected
        )
        outcome.rules = output.rule_count
        outcome.rejected = len(output.rejected) + invalid_selected
        outcome.promoperator_rejected = promoperator_rejections(
            output.rejected, invalid_promoperator or {}
        )
        outcome.unchecked = list(rendered.unchecked)
        outcome.objects = len(objects)
        outcome.apply_errors = [f"{key}: {error.message}" for key, error in result.failures.items()]
        outcome.missing_secrets = sorted({m for ms in credentials.missing.values() for m in ms})
        outcome.unreadable_secrets = sorted(
            {m for ms in credentials.unreadable.values() for m in ms}
        )
        shards = rendered.memo.shards
        if shards is not None:
            outcome.rule_shards = rule_shards_status(shards)
            outcome.rules_left_out = list(shards.left_out)
        outcome.endpoints = service_endpoints(
            [o for o in objects if o.get("kind") == "Service"], inputs.stack.name
        )
        metrics = self.state.metrics
        metrics.managed_objects.labels(self.key).set(len(objects))
        metrics.rules_rendered.labels(self.key).set(outcome.rules)
        metrics.selected_policies.labels(self.key, "selected").set(outcome.policies)
        metrics.selected_policies.labels(self.key, "rejected").set(outcome.rejected)
        for error in result.failures.values():
            metrics.reconcile_errors.labels(KIND, error.reason or "Unknown").inc()
        return outcome

    async def write(self, entry: Entry, outcome: StackOutcome, result: SyncResult | None) -> None:
        """Write the stack's status; post Events for failures, missing Secrets and changes."""
        state = self.state
        status = stack_status(outcome, state.statuses.known(KIND, self.key), now_rfc3339())
        await state.statuses.write(KIND, entry.namespace, entry.name, status)

        async def event(type_: str, reason: str, message: str) -> None:
            await state.events.post(
                KIND, entry.namespace, entry.name, type_, reason, message, entry.uid
            )

        if outcome.render_error:
            await event("Warning", "RenderFailed", outcome.render_error)
        if result is None:
            return
        if result.failures:
            await event("Warning", "ApplyFailed", "; ".join(outcome.apply_errors[:3]))
        if result.applied or result.deleted:
            message = f"applied {len(result.applied)} objects, pruned {len(result.deleted)}"
            if result.recreated:
                message += f", recreated {', '.join(str(k) for k in result.recreated)}"
            logger.info("stack %s: %s", self.key, message)
            await event("Normal", "Reconciled", message)
        if outcome.missing_secrets:
            await event("Warning", "SecretMissing", "; ".join(outcome.missing_secrets[:5]))
        if outcome.unreadable_secrets:
            message = "; ".join(outcome.unreadable_secrets[:5]) + " (last values kept)"
            await event("Warning", "SecretUnreadable", message)

    async def invalid(self, entry: Entry) -> None:
        """The stack's spec does not parse: say so in its status."""
        outcome = StackOutcome(
            generation=entry.generation,
            render_error=f"invalid spec: {entry.problem_summary}",
        )
        await self.write(entry, outcome, None)

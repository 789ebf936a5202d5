"""AlertPolicy statuses: each stack tells how it sees its policies; a policy's status is made
from its parse result and every stack's view of it."""

from __future__ import annotations

from typing import Any

from augur.controllers.stack_render import Rendered
from augur.controllers.state import OperatorState, now_rfc3339
from augur.render.alertmanager.credentials import Credentials
from augur.status.catalog import Entry
from augur.status.statuses import PolicyView, policy_status

KIND = "AlertPolicy"


async def write_policy_status(state: OperatorState, entry: Entry) -> bool:
    """Write an AlertPolicy's status from its parse result and every stack's view of it (and
    an Event when it is newly not accepted); False when the write failed."""
    before = state.statuses.known(KIND, entry.key)
    status = policy_status(
        entry.generation,
        entry.problems,
        state.policy_views.of_policy(entry.key),
        before,
        now_rfc3339(),
        entry.alert_names,
    )
    written = await state.statuses.write(KIND, entry.namespace, entry.name, status)
    accepted = next((c for c in status["conditions"] if c["type"] == "Accepted"), None)
    was = next((c for c in before.get("conditions") or [] if c.get("type") == "Accepted"), None)
    if (
        accepted
        and accepted["status"] == "False"
        and (was or {}).get("message") != accepted["message"]
    ):
        await state.events.post(
            KIND,
            entry.namespace,
            entry.name,
            "Warning",
            str(accepted["reason"]),
            str(accepted["message"]),
            entry.uid,
        )
    return written


def stack_views(rendered: Rendered, credentials: Credentials) -> dict[str, PolicyView]:
    """How one stack sees each AlertPolicy it selected, loaded or rejected."""
    inputs, output, memo = rendered.inputs, rendered.output, rendered.memo
    views: dict[str, PolicyView] = {}
    for policy in inputs.alert_policies:
        views[policy.key] = PolicyView(
            rules=memo.rule_count(KIND, policy.key),
            problems=tuple(output.rejected.get(f"{KIND}/{policy.key}", [])),
            missing_secrets=tuple(credentials.missing.get(policy.key, [])),
        )
    for kind_key, problems in output.rejected.items():
        kind, _, key = kind_key.partition("/")
        if kind == KIND and key not in views:
            views[key] = PolicyView(problems=tuple(problems))
    return views


class StackPolicyViews:
    """Tells each AlertPolicy a stack selects (or selected) how the stack sees it."""

    def __init__(self, state: OperatorState, stack_key: str) -> None:
        self.state = state
        self.stack_key = stack_key
        self.written_from: dict[str, tuple[Any, ...]] = {}
        """Per policy, the facts its status was last written from (its entry and every
        stack's view), so an unchanged policy's status is not built again."""

    async def update(self, rendered: Rendered, credentials: Credentials) -> None:
        """Record this stack's views and write the status of every policy they touch."""
        state = self.state
        assert state.catalog is not None, "the catalog is set up at startup"
        views = stack_views(rendered, credentials)
        touched = state.policy_views.replace_stack_views(self.stack_key, views)
        by_key = {e.key: e for e in state.catalog.alert_policies()}
        written_from: dict[str, tuple[Any, ...]] = {}
        for key in sorted(touched):
            entry = by_key.get(key)
            if entry is None or entry.deleting:
                continue
            facts = (entry, tuple(sorted(state.policy_views.of_policy(key).items())))
            live = state.statuses.known(KIND, key)
            if self.written_from.get(key) == facts and live.get("observedGeneration") == (
                entry.generation
            ):
                written_from[key] = facts  # written from these very facts: nothing would change
                continue
            if await write_policy_status(state, entry):
                written_from[key] = facts
        self.written_from = written_from

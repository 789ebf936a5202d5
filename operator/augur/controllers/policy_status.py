"""AlertPolicy statuses: each stack tells how it sees its policies; a policy's status is made
from its parse result and every stack's view of it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from augur.api.resources import Problem
from augur.controllers.stack_render import Rendered
from augur.controllers.state import OperatorState, now_rfc3339
from augur.render.alertmanager.credentials import Credentials
from augur.render.rules.ruletests import SuiteFiles, suite_files, translate
from augur.render.stack import RenderedFile
from augur.status.catalog import Entry
from augur.status.rule_tests import rule_tests_status
from augur.status.sharding import shard_of, status_writer
from augur.status.statuses import PolicyView, policy_status

KIND = "AlertPolicy"


async def write_policy_status(state: OperatorState, entry: Entry) -> bool:
    """Write an AlertPolicy's status from its parse result and every stack's view of it (and
    an Event when it is newly not accepted); False when the write failed."""
    before = state.statuses.known(KIND, entry.key)
    views = state.policy_views.of_policy(entry.key)
    loaded = entry.resource is not None and any(not v.problems for v in views.values())
    status = policy_status(
        entry.generation,
        entry.problems,
        views,
        before,
        now_rfc3339(),
        entry.alert_names,
        rule_tests_status(entry.test_names, state.rule_tests.result(entry.key), loaded=loaded),
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


async def write_tested_policy_status(state: OperatorState, key: str) -> None:
    """Write the status of policy `key` (its rule tests have a new result)."""
    entry = state.catalog.alert_policy(key) if state.catalog is not None else None
    if entry is not None and not entry.deleting:
        await write_policy_status(state, entry)


def tester_of(state: OperatorState, key: str) -> str | None:
    """The stack whose rules a policy's tests run against: the first (by namespace/name) that
    loads it, as for `augur test`."""
    views = state.policy_views.of_policy(key)
    return min((stack for stack, view in views.items() if not view.problems), default=None)


def policy_suite(entry: Entry, rendered: RenderedFile, interval: str) -> SuiteFiles:
    """The promtool run of a policy's tests against its rule file as a stack rendered it."""
    policy = entry.full_policy()
    tests = [translate(policy, test, rendered.scope) for test in policy.spec.tests]
    return suite_files([(Path(rendered.path).name, rendered.text)], tests, interval)


def writes_status_of(state: OperatorState, entry: Entry) -> bool:
    """True when this process writes the status of AlertPolicy `entry`: unless stacks of
    several shards select it, and the first of them is another shard's."""
    catalog = state.catalog
    if catalog is None:
        return True
    shards = {stack.key: shard_of(stack.labels) for stack in catalog.stacks()}
    if all(shard == state.config.shard for shard in shards.values()):
        return True  # no other shard's stack: nothing to share
    selecting = {key: shards[key] for key in catalog.stacks_selecting(entry) if key in shards}
    return status_writer(selecting) in (None, state.config.shard)


def stack_views(rendered: Rendered, credentials: Credentials) -> dict[str, PolicyView]:
    """How one stack sees each AlertPolicy it selected, loaded or rejected."""
    inputs, output, memo = rendered.inputs, rendered.output, rendered.memo
    left_out = set(memo.shards.left_out) if memo.shards is not None else set()
    views: dict[str, PolicyView] = {}
    for policy in inputs.alert_policies:
        key = policy.key
        source = f"{KIND}/{key}"
        problems = tuple(output.rejected.get(source, ()))
        file = memo.rule_files.get(source)
        if file is not None and file.path in left_out:
            problems += (Problem("", "its rule file is larger than a rule ConfigMap: not loaded"),)
        views[key] = PolicyView(
            rules=file.rule_count if file is not None else 0,
            problems=problems,
            missing_secrets=tuple(credentials.missing.get(key, ())),
            unreadable_secrets=tuple(credentials.unreadable.get(key, ())),
        )
    for kind_key, rejected in output.rejected.items():
        kind, _, key = kind_key.partition("/")
        if kind == KIND and key not in views:
            views[key] = PolicyView(problems=tuple(rejected))
    return views


class StackPolicyViews:
    """Tells each AlertPolicy a stack selects (or selected) how the stack sees it."""

    def __init__(self, state: OperatorState, stack_key: str) -> None:
        self.state = state
        self.stack_key = stack_key
        self.written_from: dict[str, tuple[Any, ...]] = {}
        """Per policy, the facts its status was last written from (its entry and every
        stack's view), so an unchanged policy's status is not built again."""
        self.tested: dict[str, tuple[Entry, RenderedFile, str]] = {}
        """Per policy this stack tests, what its tests were last asked to run with (its
        entry, its rule file, the evaluation interval)."""
        self.foreign_stack_changes = -1
        """`state.foreign_stack_changes` when who writes each status was last checked."""

    async def update(self, rendered: Rendered, credentials: Credentials) -> None:
        """Record this stack's views and write the status of every policy they touch: those
        whose facts changed, several at once (after a burst of thousands of policies, one
        write after another would leave their statuses minutes behind the rules)."""
        state = self.state
        assert state.catalog is not None, "the catalog is set up at startup"
        views = stack_views(rendered, credentials)
        touched = state.policy_views.replace_stack_views(self.stack_key, views)
        if self.foreign_stack_changes != state.foreign_stack_changes:
            # another shard's stack came, went or changed: this shard may now write the
            # status of policies whose views did not change
            self.foreign_stack_changes = state.foreign_stack_changes
            touched = set(touched) | set(views)
        by_key = state.catalog.alert_policies_by_key()
        await self.request_tests(rendered, by_key)
        shared = any(not state.in_shard(s.labels) for s in state.catalog.stacks())
        written_from: dict[str, tuple[Any, ...]] = {}
        due: list[tuple[Entry, tuple[Any, ...]]] = []
        for key in sorted(touched):
            entry = by_key.get(key)
            if entry is None or entry.deleting:
                continue
            if shared and not writes_status_of(state, entry):
                continue  # another shard's instance writes it
            facts = (entry, state.policy_views.of_policy(key))
            live = state.statuses.known(KIND, key)
            if self.written_from.get(key) == facts and live.get("observedGeneration") == (
                entry.generation
            ):
                written_from[key] = facts  # written from these very facts: nothing would change
                continue
            due.append((entry, facts))
        pending = iter(due)

        async def writer() -> None:
            # a few writers take the due statuses in turn: each status is built when its
            # write can start, and thousands due are not thousands of tasks at once
            for entry, facts in pending:
                if await write_policy_status(state, entry):
                    written_from[entry.key] = facts

        await asyncio.gather(*(writer() for _ in range(min(state.statuses.concurrency, len(due)))))
        self.written_from = written_from

    async def request_tests(self, rendered: Rendered, by_key: dict[str, Entry]) -> None:
        """Ask for a run of the tests of every policy this stack tests whose tests or rule
        file changed (the suites are built in a thread: a policy is parsed again for them)."""
        state = self.state
        interval = rendered.inputs.stack.spec.prometheus.evaluation_interval
        wanted: dict[str, tuple[Entry, RenderedFile, str]] = {}
        for policy in rendered.inputs.alert_policies:
            key = policy.key
            entry = by_key.get(key)
            file = rendered.memo.rule_files.get(f"{KIND}/{key}")
            if entry is None or entry.deleting or file is None or file.problems:
                continue
            if not entry.test_names:
                state.rule_tests.forget(key)
            elif tester_of(state, key) == self.stack_key:
                wanted[key] = (entry, file, interval)
        changed = {
            key: facts
            for key, facts in wanted.items()
            if not _same_facts(self.tested.get(key), facts)
        }
        self.tested = wanted
        if not changed:
            return
        suites = await asyncio.to_thread(
            lambda: {key: policy_suite(*facts) for key, facts in changed.items()}
        )
        for key, suite in suites.items():
            state.rule_tests.request(key, suite)


def _same_facts(
    before: tuple[Entry, RenderedFile, str] | None, now: tuple[Entry, RenderedFile, str]
) -> bool:
    """True when a policy's tests would run with the very same inputs again (an unchanged
    rule file is the same object from render to render)."""
    return (
        before is not None and before[0] is now[0] and before[1] is now[1] and before[2] == now[2]
    )

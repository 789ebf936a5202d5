"""The render step: a stack's inputs from the catalog, rendered again from the last render."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from augur.api.resources import AlertPolicy, BusinessKPI, MonitoringStack
from augur.controllers.tool_check import ToolChecker
from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.render.alertmanager.check import policy_check_config
from augur.render.component_output import ComponentOutput
from augur.render.prometheus.objects import mounted_rule_shards, stateful_set_name
from augur.render.rules.files import source_name
from augur.render.selection import StackInputs, inputs_for
from augur.render.stack import StackMemo, rerender_stack
from augur.render.tool_checks import (
    CheckItem,
    Tool,
    alertmanager_items,
    rule_file_items,
    without_refused,
)
from augur.status.catalog import Catalog

logger = logging.getLogger("augur.operator")


class RenderFailed(Exception):
    """A renderer raised: the message says what, for the stack's status."""


@dataclass(frozen=True)
class Rendered:
    """One render of a stack: what it was made from and what it made."""

    inputs: StackInputs
    output: ComponentOutput
    memo: StackMemo
    """What the next render reuses (rule files, Alertmanager configuration)."""
    unchecked: tuple[str, ...] = ()
    """Why some output went unjudged by promtool / amtool (let through)."""
    refused_kpis: tuple[BusinessKPI, ...] = ()
    """The selected BusinessKPIs left out because a tool refused their rules (not in
    `inputs`; their statuses still say why)."""

    @property
    def selected_kpis(self) -> list[BusinessKPI]:
        """Every BusinessKPI the stack selects, the refused ones included."""
        return [*self.inputs.business_kpis, *self.refused_kpis]


class StackRender:
    """Renders one stack, reusing what the previous render made."""

    def __init__(
        self,
        key: str,
        operator_namespace: str | None = None,
        kube: KubeClient | None = None,
        checker: ToolChecker | None = None,
    ) -> None:
        self.key = key
        self.kube = kube
        """Reads the live StatefulSet's rule shard count before the first render (None: a
        new stack is assumed)."""
        self.checker = checker
        """Judges each object's output before the shared files take it (None: no checks)."""
        self._am_checks: dict[str, tuple[AlertPolicy, MonitoringStack, str]] = {}
        """Per policy, the smallest Alertmanager configuration last built for it, with the
        very objects it was built from."""
        self._items: dict[tuple[str, Tool], CheckItem] = {}
        """The last pass's items to check: unchanged texts keep their digests."""
        self.operator_namespace = operator_namespace
        """Where the operator's pods run (None: unknown; the stack looks for them wherever
        it discovers)."""
        self.rendered: Rendered | None = None
        """The last successful render."""

    async def render(self, stack: MonitoringStack, catalog: Catalog) -> Rendered:
        """Render `stack` with what it selects in `catalog` (in a thread: it is CPU work),
        leaving out the objects whose output promtool or amtool refuses; raises RenderFailed
        when a renderer fails, keeping the last render."""
        inputs = inputs_for(stack, catalog.inventory())
        previous = self.rendered.memo if self.rendered is not None else None
        # The count of rule shards is part of Prometheus' pod template: a first render (a
        # new worker, a restarted operator) keeps the count the pod mounts, so it does not
        # roll the pod; later renders keep the count of the previous one.
        mounted = await self._mounted_rule_shards(stack) if previous is None else None
        renderer = functools.partial(
            rerender_stack,
            whole=catalog.policy_models(),
            operator_namespace=self.operator_namespace,
            rule_shards=mounted,
        )
        try:
            output, memo = await asyncio.to_thread(renderer, inputs, previous)
            unchecked: tuple[str, ...] = ()
            refused_kpis: tuple[BusinessKPI, ...] = ()
            if self.checker is not None:
                items = await asyncio.to_thread(self._check_items, inputs, memo)
                outcome = await self.checker.check(items)
                unchecked = tuple(outcome.unchecked)
                if outcome.refused:
                    # again without them: every other file is reused from this render
                    refused_kpis = tuple(
                        k for k in inputs.business_kpis if source_name(k) in outcome.refused
                    )
                    inputs = without_refused(inputs, outcome.refused)
                    output, memo = await asyncio.to_thread(renderer, inputs, memo)
        except Exception as error:  # a renderer bug must not stop the other stacks
            logger.exception("render of %s failed", self.key)
            raise RenderFailed(f"render failed: {type(error).__name__}: {error}") from error
        self.rendered = Rendered(inputs, output, memo, unchecked, refused_kpis)
        return self.rendered

    async def _mounted_rule_shards(self, stack: MonitoringStack) -> int | None:
        if self.kube is None or not stack.spec.prometheus.enabled:
            return None
        key = ObjectKey("apps/v1", "StatefulSet", stack.namespace, stateful_set_name(stack.name))
        try:
            live = await asyncio.to_thread(self.kube.get, key)
        except KubeError as error:
            logger.warning("%s: rule shard count not read (%s): as for a new stack", key, error)
            return None
        return mounted_rule_shards(live)

    def _check_items(self, inputs: StackInputs, memo: StackMemo) -> list[CheckItem]:
        """What the tools judge of this render: every rule file, and each policy's part of
        the Alertmanager configuration (built again only for a changed policy or stack)."""
        configs: dict[str, str] = {}
        kept: dict[str, tuple[AlertPolicy, MonitoringStack, str]] = {}
        if inputs.stack.spec.alertmanager.enabled:
            for policy in inputs.alert_policies:
                built = self._am_checks.get(policy.key)
                if built is None or built[0] is not policy or built[1] is not inputs.stack:
                    built = (policy, inputs.stack, policy_check_config(inputs.stack, policy))
                kept[policy.key] = built
                configs[f"AlertPolicy/{policy.key}"] = built[2]
        self._am_checks = kept
        items = rule_file_items(memo, self._items) + alertmanager_items(configs, self._items)
        self._items = {(item.source, item.tool): item for item in items}
        return items

"""The render step: a stack's inputs from the catalog, rendered again from the last render."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from augur.api.resources import MonitoringStack
from augur.render.component_output import ComponentOutput
from augur.render.selection import StackInputs, inputs_for
from augur.render.stack import StackMemo, rerender_stack
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


class StackRender:
    """Renders one stack, reusing what the previous render made."""

    def __init__(self, key: str, operator_namespace: str | None = None) -> None:
        self.key = key
        self.operator_namespace = operator_namespace
        """Where the operator's pods run (None: unknown; the stack looks for them wherever
        it discovers)."""
        self.rendered: Rendered | None = None
        """The last successful render."""

    async def render(self, stack: MonitoringStack, catalog: Catalog) -> Rendered:
        """Render `stack` with what it selects in `catalog` (in a thread: it is CPU work);
        raises RenderFailed when a renderer fails, keeping the last render."""
        inputs = inputs_for(stack, catalog.inventory())
        renderer = functools.partial(
            rerender_stack,
            whole=catalog.policy_models(),
            operator_namespace=self.operator_namespace,
        )
        previous = self.rendered.memo if self.rendered is not None else None
        try:
            output, memo = await asyncio.to_thread(renderer, inputs, previous)
        except Exception as error:  # a renderer bug must not stop the other stacks
            logger.exception("render of %s failed", self.key)
            raise RenderFailed(f"render failed: {type(error).__name__}: {error}") from error
        self.rendered = Rendered(inputs, output, memo)
        return self.rendered

"""One worker per MonitoringStack: reconcile now, after each burst of changes, on every drift tick."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from augur.controllers.stack_reconcile import StackReconciler
from augur.controllers.state import OperatorState

logger = logging.getLogger("augur.operator")


class Changes:
    """Change notifications of one stack, coalesced: a burst of them is one change.

    A lone change (nothing else within `lone` of it) is acted on at once, so a single edit
    is not held back by the burst's quiet time; a change followed by others is a burst, waited
    out until `debounce` passes quietly or `debounce_max` after its first change.
    """

    def __init__(self, debounce: float, debounce_max: float, lone: float = 0.02) -> None:
        self.debounce = debounce
        """Quiet time that ends a burst."""
        self.debounce_max = debounce_max
        """Longest a burst is waited out while changes keep arriving."""
        self.lone = min(lone, debounce)
        """Quiet time after a change that makes it a lone change, acted on at once."""
        self._poked = asyncio.Event()

    def poke(self) -> None:
        """Something the stack depends on changed."""
        self._poked.set()

    async def _poked_within(self, seconds: float) -> bool:
        self._poked.clear()
        try:
            await asyncio.wait_for(self._poked.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def wait(self, stopped: Callable[[], bool], until: float) -> bool:
        """Wait for a change (True, once it settles) or for `until` (False, monotonic time)."""
        while not stopped() and time.monotonic() < until:
            try:
                await asyncio.wait_for(
                    self._poked.wait(), timeout=min(1.0, until - time.monotonic())
                )
            except TimeoutError:
                continue
            first = time.monotonic()
            if await self._poked_within(self.lone):
                while time.monotonic() - first < self.debounce_max and not stopped():
                    if not await self._poked_within(self.debounce):
                        break
            self._poked.clear()
            return True
        return False


class StackWorker:
    """Keeps one stack's objects and status current."""

    def __init__(self, state: OperatorState, key: str) -> None:
        self.state = state
        self.key = key
        self.changes = Changes(
            state.config.debounce, state.config.debounce_max, state.config.lone_change
        )
        self.reconciler = StackReconciler(state, key)

    def poke(self) -> None:
        """Something the stack depends on changed: reconcile soon."""
        self.changes.poke()

    async def run(self, stopped: Callable[[], bool]) -> None:
        """Reconcile now, then on every (coalesced) change and on every drift tick."""
        render = True
        next_live_check = 0.0
        try:
            while not stopped():
                check_live = time.monotonic() >= next_live_check
                if check_live:
                    next_live_check = time.monotonic() + self.state.config.drift_interval
                try:
                    await self.reconciler.reconcile(render=render, check_live=check_live)
                    if render:
                        self.state.heap.worked(time.monotonic())
                except Exception as error:  # never let one stack take the operator down
                    logger.exception("reconcile of %s failed", self.key)
                    self.state.metrics.reconcile_errors.labels(
                        "MonitoringStack", type(error).__name__
                    ).inc()
                render = await self.changes.wait(stopped, next_live_check)
        finally:
            self.reconciler.close()

"""Reads each BusinessKPI a stack selects from the stack's Prometheus, and writes its status.

Off the reconcile path: the stack's reconcile only schedules a reading (one task per stack,
at most every `kpi_interval` seconds, never two at once), and the KPIs of the reading are
evaluated concurrently, at most `kpi_concurrency` across the operator. Each KPI's failure —
no answer, a refused query, an answer that is not a query result, a query that cannot be
built — becomes that KPI's condition and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping, Sequence

from augur.api.common import Cond
from augur.api.resources import BusinessKPI, MonitoringStack
from augur.controllers.state import OperatorState, now_rfc3339
from augur.prom.client import PromClient, PromError
from augur.status.kpi import kpi_query, trend_offset_seconds, worst
from augur.status.kpi_status import (
    KPIOutcome,
    combined_kpi_values,
    evaluation_failed,
    kpi_status,
    not_evaluated,
    not_selected,
    null_gone_stacks,
    prometheus_disabled,
    prometheus_unreachable,
    query_invalid,
    read_outcome,
    rejected,
    routing_condition,
)

KIND = "BusinessKPI"
QUERY_TIMEOUT = 5.0
"""Seconds one Prometheus query may take."""

logger = logging.getLogger("augur.operator")


class KPIReader:
    """Reads one stack's KPIs every `kpi_interval` seconds, in a task of its own."""

    def __init__(self, state: OperatorState, stack_key: str) -> None:
        self.state = state
        self.stack_key = stack_key
        self.read_at = -math.inf
        """When the last reading started (monotonic; none yet: due at once, however
        recently the machine started)."""
        self.task: asyncio.Task[None] | None = None
        """The reading in progress, if any."""

    def read_when_due(
        self,
        stack: MonitoringStack,
        kpis: list[BusinessKPI],
        endpoints: dict[str, str],
        left_out: Mapping[str, Sequence[object]] | None = None,
        loaded_policies: set[str] | None = None,
    ) -> asyncio.Task[None] | None:
        """Start reading the KPIs when `kpi_interval` seconds have passed since the last
        reading started and none is running; returns at once (the task started, or None).
        `left_out` holds the render's problems by 'Kind/namespace/name': a KPI whose rules
        the stack left out is reported so, not read. `loaded_policies` (namespace/name of the
        AlertPolicies the stack loads) decides each KPI's `Routed` condition."""
        if self.task is not None and not self.task.done():
            return None
        if time.monotonic() - self.read_at < self.state.config.kpi_interval:
            return None
        self.read_at = time.monotonic()
        url = self.state.config.prometheus_url(self.stack_key, endpoints)
        problems = {
            key.partition("/")[2]: [str(p) for p in found]
            for key, found in (left_out or {}).items()
            if key.startswith("BusinessKPI/")
        }
        self.task = asyncio.create_task(
            self.read_all(stack, list(kpis), url, problems, loaded_policies or set()),
            name=f"kpis of {self.stack_key}",
        )
        return self.task

    def cancel(self) -> None:
        """Stop a reading in progress (the stack's worker ends)."""
        if self.task is not None:
            self.task.cancel()

    async def read_all(
        self,
        stack: MonitoringStack,
        kpis: list[BusinessKPI],
        url: str,
        left_out: Mapping[str, list[str]] | None = None,
        loaded_policies: set[str] | None = None,
    ) -> None:
        """Read every KPI concurrently (bounded by the operator's `kpi_slots`) and write their
        statuses; those in `left_out` (by namespace/name, with the render's problems) are
        reported as rejected, not read."""
        catalog = self.state.catalog
        assert catalog is not None, "the catalog is set up at startup"
        entries = {e.key: e for e in catalog.business_kpis()}
        readings = []
        for kpi in kpis:
            entry = entries.get(kpi.key)
            if entry is not None:
                selecting = catalog.stacks_selecting(entry)
                problems = (left_out or {}).get(kpi.key)
                routed = routing_condition(kpi, stack.key, loaded_policies or set())
                readings.append(self._read_one(stack, kpi, url, selecting, problems, routed))
        for failure in await asyncio.gather(*readings, return_exceptions=True):
            if isinstance(failure, Exception):  # a status write, say: the others went on
                logger.error("a KPI reading of stack %s failed: %r", self.stack_key, failure)

    async def _read_one(
        self,
        stack: MonitoringStack,
        kpi: BusinessKPI,
        url: str,
        selecting: list[str],
        problems: list[str] | None,
        routed: Cond | None = None,
    ) -> None:
        """Read one KPI; its status combines the readings of every stack `selecting` it."""
        state = self.state
        if problems:
            outcome = rejected(stack.key, problems)
        else:
            async with state.kpi_slots:
                outcome = await self._evaluate(stack, kpi, url)
        if routed is not None:
            outcome = ([*outcome[0], routed], outcome[1])
        readings = state.kpi_readings.record(kpi.key, stack.key, outcome, selecting)
        conds, values = combined_kpi_values(readings, selecting)
        existing = state.statuses.known(KIND, kpi.key)
        status = kpi_status(kpi, conds, null_gone_stacks(values, existing), existing, now_rfc3339())
        await state.statuses.write(KIND, kpi.namespace, kpi.name, status)

    async def _evaluate(self, stack: MonitoringStack, kpi: BusinessKPI, url: str) -> KPIOutcome:
        """Conditions and values of one KPI as this stack's Prometheus computes it."""
        if not stack.spec.prometheus.enabled:
            return prometheus_disabled(stack.key)
        if self.state.session is None:
            return not_evaluated()
        counter = self.state.metrics.kpi_evaluations
        try:
            query = kpi_query(kpi, stack)
        except ValueError as error:  # PromQLError, InjectionError: its rules are rejected too
            counter.labels("invalid").inc()
            return query_invalid(stack.key, str(error))
        client = PromClient(url, self.state.session, timeout=QUERY_TIMEOUT)
        try:
            outcome = await self._query(client, kpi, query)
        except PromError as error:
            counter.labels("unreachable").inc()
            return prometheus_unreachable(stack.key, url, str(error), error.reason)
        except Exception as error:  # one KPI's surprise never stops the others
            logger.exception("reading BusinessKPI %s from stack %s failed", kpi.key, stack.key)
            counter.labels("failed").inc()
            return evaluation_failed(stack.key, f"{type(error).__name__}: {error}")
        counter.labels("ok").inc()
        return outcome

    @staticmethod
    async def _query(client: PromClient, kpi: BusinessKPI, query: str) -> KPIOutcome:
        """The KPI now and, for its trend, one trend offset earlier."""
        spec = kpi.spec
        now = time.time()
        reading = worst(spec, await client.query(query, now))
        earlier = None
        if reading.current is not None:
            before = await client.query(query, now - trend_offset_seconds(spec))
            earlier = worst(spec, before).current
        return read_outcome(spec, reading, earlier, now_rfc3339())


async def write_unselected_kpi_status(state: OperatorState, kpi: BusinessKPI) -> None:
    """A valid KPI that no stack selects says so."""
    existing = state.statuses.known(KIND, kpi.key)
    status = kpi_status(kpi, not_selected(), {}, existing, now_rfc3339())
    await state.statuses.write(KIND, kpi.namespace, kpi.name, status)

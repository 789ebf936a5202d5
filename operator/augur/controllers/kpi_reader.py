"""Reads each BusinessKPI a stack selects from the stack's Prometheus, and writes its status."""

from __future__ import annotations

import time

from augur.api.resources import BusinessKPI, MonitoringStack
from augur.controllers.state import OperatorState, now_rfc3339
from augur.prom.client import PromClient, PromError
from augur.status.kpi import kpi_query, trend_offset_seconds, worst
from augur.status.kpi_status import (
    KPIOutcome,
    combined_kpi_values,
    kpi_status,
    not_evaluated,
    not_selected,
    null_gone_stacks,
    prometheus_disabled,
    prometheus_unreachable,
    read_outcome,
)

KIND = "BusinessKPI"


class KPIReader:
    """Reads one stack's KPIs every `kpi_interval` seconds."""

    def __init__(self, state: OperatorState, stack_key: str) -> None:
        self.state = state
        self.stack_key = stack_key
        self.read_at = 0.0

    async def read_when_due(
        self, stack: MonitoringStack, kpis: list[BusinessKPI], endpoints: dict[str, str]
    ) -> None:
        """Read the KPIs (at most every `kpi_interval` seconds) and write their statuses."""
        config = self.state.config
        if time.monotonic() - self.read_at < config.kpi_interval:
            return
        self.read_at = time.monotonic()
        url = config.prometheus_url(self.stack_key, endpoints)
        catalog = self.state.catalog
        assert catalog is not None, "the catalog is set up at startup"
        entries = {e.key: e for e in catalog.business_kpis()}
        for kpi in kpis:
            entry = entries.get(kpi.key)
            if entry is not None:
                await self._read_one(stack, kpi, url, catalog.stacks_selecting(entry))

    async def _read_one(
        self, stack: MonitoringStack, kpi: BusinessKPI, url: str, selecting: list[str]
    ) -> None:
        """Read one KPI; its status combines the readings of every stack `selecting` it."""
        state = self.state
        outcome = await self._evaluate(stack, kpi, url)
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
        client = PromClient(url, self.state.session, timeout=5)
        try:
            outcome = await self._query(client, kpi)
        except PromError as error:
            self.state.metrics.kpi_evaluations.labels("unreachable").inc()
            return prometheus_unreachable(stack.key, url, str(error))
        self.state.metrics.kpi_evaluations.labels("ok").inc()
        return outcome

    @staticmethod
    async def _query(client: PromClient, kpi: BusinessKPI) -> KPIOutcome:
        """The KPI now and, for its trend, one trend offset earlier."""
        spec = kpi.spec
        query = kpi_query(spec)
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

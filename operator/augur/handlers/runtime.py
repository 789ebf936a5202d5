"""The operator's shared state (kept in kopf's memo): clients, caches, per-stack workers."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from augur.handlers.catalog import Catalog, Entry, ParseCache
from augur.handlers.statuses import PolicyView
from augur.kube.client import KubeClient
from augur.kube.conditions import Cond, same_conditions
from augur.kube.errors import KubeError
from augur.kube.events import EventRecorder, Involved
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics

if TYPE_CHECKING:
    from augur.handlers.worker import StackWorker

logger = logging.getLogger("augur.operator")


@dataclass
class OperatorConfig:
    """Timings and mappings of one operator process (from `augur run`'s flags)."""

    identity: str = "augur"
    debounce: float = 0.3
    """Quiet time after a change before a stack renders (changes arriving together coalesce)."""
    debounce_max: float = 2.0
    """Longest a stack waits for quiet while changes keep arriving."""
    drift_interval: float = 10.0
    """How often owned objects are checked against what augur wrote."""
    secret_refresh: float = 60.0
    """How often referenced Secrets are re-read although their users did not change."""
    kpi_interval: float = 60.0
    """How often BusinessKPIs are read from Prometheus."""
    prometheus_urls: dict[str, str] = field(default_factory=dict)
    """Prometheus URL by stack (namespace/name), for an operator running outside the cluster."""


def now_rfc3339() -> str:
    """The current time as Kubernetes writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_essence(status: dict[str, Any]) -> dict[str, Any]:
    """A status without condition timestamps, to tell whether a write would change anything."""
    rest = {k: v for k, v in status.items() if k != "conditions" and v is not None}
    return rest


def status_unchanged(live: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """True when writing `new` over `live` would change nothing a user can read."""
    if live is None:
        return False
    if not same_conditions(list(live.get("conditions") or []), list(new.get("conditions") or [])):
        return False
    return status_essence({**live, "conditions": None}) == status_essence(
        {**new, "conditions": None}
    )


class Runtime:
    """Everything the handlers share."""

    def __init__(
        self,
        config: OperatorConfig,
        kube: KubeClient,
        metrics: OperatorMetrics,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.config = config
        self.kube = kube
        self.metrics = metrics
        self.session = session
        self.events = EventRecorder(kube, config.identity)
        self.parsed = ParseCache()
        self.catalog: Catalog | None = None
        self.workers: dict[str, StackWorker] = {}
        self.live_status: dict[tuple[str, str], dict[str, Any]] = {}
        """Last status seen or written, by (kind, namespace/name)."""
        self.seen: dict[tuple[str, str], tuple[Any, ...]] = {}
        """Signature of each object last acted on (status-only changes are ignored)."""
        self.policy_views: dict[str, dict[str, PolicyView]] = {}
        """How each stack sees each AlertPolicy, by policy then stack."""
        self.kpi_readings: dict[str, dict[str, tuple[list[Cond], dict[str, Any]]]] = {}
        """Each stack's last reading of each BusinessKPI (conditions, values), by KPI then stack."""
        self.status_lock = asyncio.Lock()

    # -- change notification -----------------------------------------------------------

    def poke(self, stack_keys: set[str] | list[str]) -> None:
        """Ask stacks to re-render soon (coalesced by their workers)."""
        for key in stack_keys:
            worker = self.workers.get(key)
            if worker is not None:
                worker.poke()

    def changed(self, entry: Entry) -> bool:
        """Record `entry`; True when it differs from what was last acted on."""
        slot = (entry.kind, entry.key)
        if self.seen.get(slot) == entry.signature:
            return False
        self.seen[slot] = entry.signature
        return True

    def forget(self, kind: str, key: str, uid: str) -> None:
        """Drop what is known of a deleted object."""
        self.seen.pop((kind, key), None)
        self.live_status.pop((kind, key), None)
        self.parsed.forget(uid)
        if kind == "BusinessKPI":
            self.kpi_readings.pop(key, None)

    # -- writing -----------------------------------------------------------------------

    async def write_status(
        self, kind: str, namespace: str, name: str, status: dict[str, Any]
    ) -> bool:
        """Patch an object's status unless it would change nothing; errors are logged.
        False when the status could not be written."""
        slot = (kind, f"{namespace}/{name}")
        if status_unchanged(self.live_status.get(slot), status):
            return True
        key = ObjectKey("augur.dev/v1alpha1", kind, namespace, name)
        try:
            await asyncio.to_thread(self.kube.patch_status, key, status)
        except KubeError as error:
            if not error.not_found:
                logger.warning("status of %s/%s not written: %s", kind, slot[1], error)
                self.metrics.reconcile_errors.labels(kind, error.reason or "Unknown").inc()
            return False
        self.live_status[slot] = status
        return True

    async def event(
        self,
        kind: str,
        namespace: str,
        name: str,
        type_: str,
        reason: str,
        message: str,
        uid: str = "",
    ) -> None:
        """Post an Event about an augur object."""
        about = Involved("augur.dev/v1alpha1", kind, namespace, name, uid)
        await asyncio.to_thread(
            self.events.post,
            about,
            "Warning" if type_ == "Warning" else "Normal",
            reason,
            message,
        )

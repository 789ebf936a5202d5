"""Writes to augur's own objects: their status (skipped when nothing would change) and Events."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.events import EventRecorder, Involved
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics
from augur.status.stores import StatusStore

logger = logging.getLogger("augur.operator")

API_VERSION = "augur.dev/v1alpha1"


STATUS_CONCURRENCY = 16
"""Status writes in flight at once (each a blocking PATCH in a thread of its own pool)."""


class StatusWriter:
    """Patches the status of augur objects, remembering what each carries; up to
    `concurrency` writes run at once, in threads of their own (not the loop's default pool,
    which renders and applies share)."""

    def __init__(
        self, kube: KubeClient, metrics: OperatorMetrics, concurrency: int = STATUS_CONCURRENCY
    ) -> None:
        self.kube = kube
        self.metrics = metrics
        self.store = StatusStore()
        self.concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="augur-status")
        return self._pool

    def close(self) -> None:
        """Stop the write threads (after the writes in flight)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def known(self, kind: str, key: str) -> dict[str, Any]:
        """The status the object was last seen with or given ({} when none)."""
        return self.store.known(kind, key)

    def seen(self, kind: str, key: str, status: dict[str, Any]) -> None:
        """An event showed the object carrying `status`."""
        self.store.remember(kind, key, status)

    def forget(self, kind: str, key: str) -> None:
        """Drop a deleted object."""
        self.store.forget(kind, key)

    async def write(self, kind: str, namespace: str, name: str, status: dict[str, Any]) -> bool:
        """Patch an object's status unless it would change nothing; errors are logged.
        False when the status could not be written."""
        key = f"{namespace}/{name}"
        if not self.store.would_change(kind, key, status):
            return True
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._executor(),
                self.kube.patch_status,
                ObjectKey(API_VERSION, kind, namespace, name),
                status,
            )
        except KubeError as error:
            if not error.not_found:
                logger.warning("status of %s/%s not written: %s", kind, key, error)
                self.metrics.reconcile_errors.labels(kind, error.reason or "Unknown").inc()
            return False
        self.store.remember(kind, key, status)
        return True


class EventWriter:
    """Posts Events about augur objects."""

    def __init__(self, kube: KubeClient, identity: str) -> None:
        self.recorder = EventRecorder(kube, identity)

    async def post(
        self,
        kind: str,
        namespace: str,
        name: str,
        type_: str,
        reason: str,
        message: str,
        uid: str = "",
    ) -> None:
        """Post an Event (type Warning, or Normal for anything else)."""
        about = Involved(API_VERSION, kind, namespace, name, uid)
        await asyncio.to_thread(
            self.recorder.post,
            about,
            "Warning" if type_ == "Warning" else "Normal",
            reason,
            message,
        )

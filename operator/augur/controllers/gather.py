"""The gather steps: the Secrets a stack's credentials are copied from, and its live workloads."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping
from typing import Any

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import object_key
from augur.render.alertmanager.credentials import Credentials, gather_credentials
from augur.status.statuses import WORKLOAD_KINDS, component_name, component_status

logger = logging.getLogger("augur.operator")


class SourceSecrets:
    """The Secrets a stack's credentials come from, re-read when their users change and on a
    timer (a Secret's own change is not watched).

    Only a 404 means a Secret is gone. Any other failure (5xx, timeout, 403) keeps the data
    last read, so a working receiver keeps its credential through an API server's bad
    minute; the Secret is named as unreadable until a read succeeds again."""

    def __init__(self, kube: KubeClient, refresh: float, stack_key: str) -> None:
        self.kube = kube
        self.refresh = refresh
        self.stack_key = stack_key
        self.sources: dict[str, dict[str, str] | None] = {}
        """Data of each source Secret (namespace/name) last read; None when it was missing."""
        self.unreadable: dict[str, str] = {}
        """Source Secrets the last read failed for (not with a 404), with why."""
        self.read_at = -math.inf
        """When the Secrets were last read (monotonic; never: stale)."""

    async def credentials(
        self,
        secret_keys: Mapping[str, tuple[str, str]],
        users: Mapping[str, str],
        *,
        force: bool,
        aws_profiles: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Copy every key the render asked for: key -> (source Secret, source key); `users`
        names the AlertPolicy that needs a key (the others are the stack's); `aws_profiles`
        the keys holding AWS credentials files, and the profile to take from each."""
        needed = {source for source, _ in secret_keys.values()}
        stale = time.monotonic() - self.read_at > self.refresh
        if force or stale or not needed <= set(self.sources) or self.unreadable:
            read, failed = await asyncio.to_thread(self._read, needed)
            # The last good data of what could not be read is kept; what is no longer
            # needed is forgotten.
            kept = {s: self.sources[s] for s in failed if s in self.sources}
            self.sources = {**read, **kept}
            self.unreadable = failed
            self.read_at = time.monotonic()
        return gather_credentials(
            secret_keys,
            self.sources,
            self.stack_key,
            users,
            unreadable=self.unreadable,
            aws_profiles=aws_profiles,
        )

    def _read(self, needed: set[str]) -> tuple[dict[str, dict[str, str] | None], dict[str, str]]:
        found: dict[str, dict[str, str] | None] = {}
        failed: dict[str, str] = {}
        for source in sorted(needed):
            namespace, _, name = source.partition("/")
            try:
                found[source] = self.kube.read_secret(namespace, name)
            except KubeError as error:
                logger.warning("Secret %s not read (last value kept): %s", source, error)
                failed[source] = error.reason or f"HTTP {error.status}"
        return found, failed


class WorkloadReader:
    """Reads how far a stack's workloads are rolled out."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube

    async def components(
        self, objects: list[dict[str, Any]], stack_name: str
    ) -> dict[str, dict[str, Any]]:
        """The status of each component (ready replicas, image), by component name."""
        return await asyncio.to_thread(self._components, objects, stack_name)

    def _components(
        self, objects: list[dict[str, Any]], stack_name: str
    ) -> dict[str, dict[str, Any]]:
        components = {}
        for obj in objects:
            if obj.get("kind") not in WORKLOAD_KINDS:
                continue
            try:
                live = self.kube.get(object_key(obj))
            except KubeError:
                live = None
            components[component_name(obj, stack_name)] = component_status(live, obj)
        return components

"""The apply step: a stack's desired objects applied with server-side apply, drift put back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.kube.sync import ApplyFence, ListScope, StackObjects, SyncResult
from augur.render.k8s.labels import StackRef


class StackApplier:
    """Applies one stack's objects, remembering what it wrote to each."""

    def __init__(
        self,
        kube: KubeClient,
        scope: ListScope | None = None,
        fence_of: Callable[[str], ApplyFence] | None = None,
    ) -> None:
        self.kube = kube
        self.scope = scope
        self.fence_of = fence_of
        """The apply fence of a stack uid (closed when the stack is being deleted)."""
        self.objects: StackObjects | None = None

    def target(self, stack: StackRef) -> bool:
        """Apply for `stack` from now on; True when that is a new stack (or a new object of
        the same name): what was written before is then unknown, so check live objects."""
        if self.objects is not None and self.objects.stack == stack:
            return False
        fence = self.fence_of(stack.uid) if self.fence_of is not None else None
        self.objects = StackObjects(self.kube, stack, self.scope, fence=fence)
        return True

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Whether objects of a kind live in a namespace (assumed when the API is unknown)."""
        try:
            return self.kube.resource_info(api_version, kind).namespaced
        except KubeError:
            return True

    async def apply(
        self,
        objects: list[dict[str, Any]],
        *,
        check_live: bool,
        held: set[ObjectKey] | frozenset[ObjectKey] = frozenset(),
    ) -> SyncResult:
        """Apply what changed; with `check_live`, also put back drift and prune; objects in
        `held` are left as they are. A failure to reach the cluster at all is one failure of
        the result, not an exception."""
        assert self.objects is not None, "target() names the stack first"
        try:
            return await asyncio.to_thread(
                self.objects.sync, objects, check_live=check_live, held=held
            )
        except KubeError as error:
            return SyncResult(failures={ObjectKey("", "cluster", "", ""): error})

"""Keep one stack's objects equal to the desired set: apply what changed, put back what
drifted, prune what is no longer wanted (selected by the stack's label, nothing else)."""

from __future__ import annotations

import base64
import contextlib
import copy
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError
from augur.kube.ownership import ContentHasher, ObjectKey, object_key, stack_selector
from augur.render.k8s.labels import CREATE_ONLY_ANNOTATION, RANDOM_KEYS_ANNOTATION, StackRef

PRUNABLE_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "DaemonSet"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
)
"""Kinds a stack may own; each is listed by the stack's label when checking for drift."""

_RECREATE_WAIT = 30.0

DISCOVERY_RBAC_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    }
)
"""The only kinds a stack places in the operator's own namespace: its Prometheus' discovery
Role and RoleBinding there, to scrape the operator's pods."""


@dataclass(frozen=True)
class ListScope:
    """Where the operator may list a stack's objects.

    `namespaces` None: every namespace and the cluster scope (cluster-wide RBAC). A tuple: only
    these namespaces (the watched ones, where it holds Roles), plus the discovery Role and
    RoleBinding in `operator_namespace`; listing anything else would be Forbidden."""

    namespaces: tuple[str, ...] | None = None
    operator_namespace: str | None = None

    def where(self, api_version: str, kind: str, namespaced: bool) -> list[str] | None:
        """The namespaces to list `kind` in, one call each (None: one call across all of
        them; empty: none at all, as for cluster-scoped kinds when namespaces are listed)."""
        if self.namespaces is None:
            return None
        if not namespaced:
            return []
        where = list(self.namespaces)
        extra = self.operator_namespace
        if (api_version, kind) in DISCOVERY_RBAC_KINDS and extra and extra not in where:
            where.append(extra)
        return where


NEVER_PRUNED_KINDS = frozenset({"PersistentVolumeClaim"})
"""Data is never deleted by a spec change; PVCs go with the stack only when it owns them."""


def with_random_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """A create-only Secret with a fresh random value in each key its annotation names."""
    names = (obj.get("metadata", {}).get("annotations", {}) or {}).get(RANDOM_KEYS_ANNOTATION, "")
    result = copy.deepcopy(obj)
    data = result.setdefault("data", {})
    for name in filter(None, (n.strip() for n in names.split(","))):
        data[name] = base64.b64encode(secrets.token_urlsafe(24).encode()).decode()
    return result


def normalize(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as augur applies it: Secrets carry `data` only, never `stringData`.

    Under server-side apply a key dropped from `stringData` would linger in `data`, so a
    revoked credential would survive; `data` is owned key by key and shrinks as it should."""
    if obj.get("kind") != "Secret" or "stringData" not in obj:
        return obj
    result = copy.deepcopy(obj)
    string_data: dict[str, str] = result.pop("stringData") or {}
    data = result.setdefault("data", {})
    for key, value in string_data.items():
        data[key] = base64.b64encode(value.encode()).decode()
    return result


@dataclass
class Applied:
    """What augur last wrote to an object."""

    hash: str
    resource_version: str


@dataclass
class SyncPlan:
    """What to do: objects to apply (new, changed or drifted) and objects to delete."""

    apply: list[ObjectKey] = field(default_factory=list)
    delete: list[ObjectKey] = field(default_factory=list)


def plan_sync(
    desired: dict[ObjectKey, str],
    applied: dict[ObjectKey, Applied],
    live: dict[ObjectKey, str] | None,
) -> SyncPlan:
    """Decide from content hashes (`desired`), what was written (`applied`) and, when listed,
    the live resourceVersions (`live`): apply what is new, changed, missing or edited by hand;
    delete what is no longer desired (of what is live, or else of what augur wrote)."""
    plan = SyncPlan()
    for key, wanted in sorted(desired.items()):
        record = applied.get(key)
        changed = record is None or record.hash != wanted
        drifted = (
            live is not None and record is not None and live.get(key) != record.resource_version
        )
        if changed or drifted:
            plan.apply.append(key)
    known = set(applied) if live is None else set(live)
    plan.delete = sorted(key for key in known if key not in desired)
    return plan


@dataclass
class SyncResult:
    """What a sync did, and what failed (per object)."""

    applied: list[ObjectKey] = field(default_factory=list)
    deleted: list[ObjectKey] = field(default_factory=list)
    recreated: list[ObjectKey] = field(default_factory=list)
    failures: dict[ObjectKey, KubeError] = field(default_factory=dict)
    fenced: bool = False
    """Nothing was done: the stack is being deleted."""


def _immutable_change(key: ObjectKey, error: KubeError) -> bool:
    return (
        key.kind == "StatefulSet"
        and error.invalid
        and "Forbidden" in error.message
        and "spec" in error.message
    )


class StackObjects:
    """The objects one stack owns, and what augur last wrote to each."""

    def __init__(
        self,
        kube: KubeClient,
        stack: StackRef,
        scope: ListScope | None = None,
        *,
        fence: ApplyFence | None = None,
    ) -> None:
        self.kube = kube
        self.stack = stack
        self.scope = scope or ListScope()
        self.fence = fence or ApplyFence()
        """Closed when the stack is being deleted: no sync applies anything after that."""
        self.applied: dict[ObjectKey, Applied] = {}
        self.hasher = ContentHasher()
        """Content hashes, each long string's digest remembered from the last sync."""

    def live_versions(self, kinds: set[tuple[str, str]]) -> dict[ObjectKey, str]:
        """resourceVersion of every object carrying the stack's label, metadata only, listed
        only where the scope allows."""
        live: dict[ObjectKey, str] = {}
        selector = stack_selector(self.stack)
        for api_version, kind in sorted(kinds):
            try:
                where = self.scope.where(api_version, kind, self._namespaced(api_version, kind))
                if where is None:
                    live.update(self.kube.list_versions(api_version, kind, selector))
                for namespace in where or ():
                    live.update(
                        self.kube.list_versions(api_version, kind, selector, namespace=namespace)
                    )
            except KubeError as error:
                if error.not_found:  # kind not served by this cluster
                    continue
                raise
        return live

    def _namespaced(self, api_version: str, kind: str) -> bool:
        if self.scope.namespaces is None:
            return True  # not asked: every namespace and the cluster scope are listed alike
        return self.kube.resource_info(api_version, kind).namespaced

    def sync(
        self,
        objects: list[dict[str, Any]],
        *,
        check_live: bool,
        held: set[ObjectKey] | frozenset[ObjectKey] = frozenset(),
    ) -> SyncResult:
        """Apply what changed; with `check_live`, also put back drift and prune (blocking).
        Objects in `held` are neither applied nor pruned this time (their content is not
        known for sure), and what was last written to them is remembered. Once the fence is
        closed (the stack is being deleted) nothing is done: the result is `fenced`."""
        with self.fence.passage() as open_:
            if not open_:
                return SyncResult(fenced=True)
            return self._sync(objects, check_live=check_live, held=held)

    def _sync(
        self,
        objects: list[dict[str, Any]],
        *,
        check_live: bool,
        held: set[ObjectKey] | frozenset[ObjectKey],
    ) -> SyncResult:
        desired = {
            object_key(obj): normalize(obj) for obj in objects if object_key(obj) not in held
        }
        hashes = {key: self.hasher.hash(obj) for key, obj in desired.items()}
        self.hasher.next_round()
        live = None
        if check_live:
            kinds = set(PRUNABLE_KINDS) | {(k.api_version, k.kind) for k in desired}
            live = self.live_versions(kinds)
        plan = plan_sync(hashes, self.applied, live)
        result = SyncResult()
        for key in plan.apply:
            self._apply(key, desired[key], hashes[key], result)
        for key in plan.delete:
            if key.kind in NEVER_PRUNED_KINDS or key in held:
                continue
            try:
                if self.kube.delete(key):
                    result.deleted.append(key)
            except KubeError as error:
                result.failures[key] = error
        for key in list(self.applied):
            if key not in desired and key not in held:
                del self.applied[key]
        return result

    def _apply(self, key: ObjectKey, obj: dict[str, Any], digest: str, result: SyncResult) -> None:
        annotations = obj.get("metadata", {}).get("annotations") or {}
        if annotations.get(CREATE_ONLY_ANNOTATION) == "true":
            self._create_once(key, obj, digest, result)
            return
        try:
            live = self.kube.apply(obj)
        except KubeError as error:
            if not _immutable_change(key, error):
                self.applied.pop(key, None)
                result.failures[key] = error
                return
            try:
                live = self._recreate(key, obj)
            except KubeError as again:
                self.applied.pop(key, None)
                result.failures[key] = again
                return
            result.recreated.append(key)
        version = str((live.get("metadata") or {}).get("resourceVersion", ""))
        self.applied[key] = Applied(digest, version)
        result.applied.append(key)

    def _create_once(
        self, key: ObjectKey, obj: dict[str, Any], digest: str, result: SyncResult
    ) -> None:
        """Create the object (random keys filled) only when absent; never change it after."""
        try:
            live = self.kube.get(key)
            if live is None:
                live = self.kube.apply(with_random_keys(obj))
                result.applied.append(key)
        except KubeError as error:
            self.applied.pop(key, None)
            result.failures[key] = error
            return
        version = str((live.get("metadata") or {}).get("resourceVersion", ""))
        self.applied[key] = Applied(digest, version)

    def _recreate(self, key: ObjectKey, obj: dict[str, Any]) -> dict[str, Any]:
        """Replace a StatefulSet whose immutable fields changed, keeping its pods' data: the
        old one is deleted with its pods orphaned, and PVCs of volumeClaimTemplates survive."""
        self.kube.delete(key, propagation="Orphan")
        deadline = time.monotonic() + _RECREATE_WAIT
        while self.kube.get(key) is not None:
            if time.monotonic() > deadline:
                raise KubeError(409, "Conflict", f"{key} is still being deleted")
            time.sleep(0.5)
        return self.kube.apply(obj)

    def cleanup_unowned(self) -> CleanupResult:
        """Delete what garbage collection cannot: the stack's objects (found by its uid label)
        in other namespaces and cluster-scoped ones (used when the stack is deleted). One
        object that cannot be deleted, or one kind that cannot be listed, does not stop the
        others: each failure is returned, and a later call picks up what is left."""
        result = CleanupResult()
        selector = stack_selector(self.stack)
        for api_version, kind in sorted(PRUNABLE_KINDS):
            found: dict[ObjectKey, str] = {}
            try:
                # only where the scope allows: with Roles in the watched namespaces alone,
                # listing across all of them is Forbidden (and holds nothing the stack made)
                where = self.scope.where(api_version, kind, self._namespaced(api_version, kind))
                if where is None:
                    found.update(self.kube.list_versions(api_version, kind, selector))
                for namespace in where or ():
                    found.update(
                        self.kube.list_versions(api_version, kind, selector, namespace=namespace)
                    )
            except KubeError as error:
                if not error.not_found:  # a kind the cluster does not serve holds nothing
                    result.failures[ObjectKey(api_version, kind, "", "*")] = error
                continue
            for key, _ in sorted(found.items()):
                if key.namespace == self.stack.namespace:
                    continue  # owned: garbage collection deletes it with the stack
                try:
                    if self.kube.delete(key):
                        result.deleted.append(key)
                except KubeError as error:
                    result.failures[key] = error
        return result


@dataclass
class CleanupResult:
    """What a stack's cleanup deleted, and what it could not delete or list (with why)."""

    deleted: list[ObjectKey] = field(default_factory=list)
    failures: dict[ObjectKey, KubeError] = field(default_factory=dict)
    """By object; a kind that could not be listed is keyed with the name `*`."""


class ApplyFence:
    """Lets one stack's syncs run until the stack is being deleted.

    `close` waits for a sync that is running (it may be in the middle of applying objects)
    and refuses every later one, so nothing is applied again after the cleanup that follows
    it. A sync holds the fence for its whole run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def passage(self) -> Iterator[bool]:
        """Held for a sync: yields False once the fence is closed (the sync must do nothing)."""
        with self._lock:
            yield not self._closed

    def close(self) -> None:
        """Refuse syncs from now on; returns once no sync runs (blocking)."""
        with self._lock:
            self._closed = True

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._closed

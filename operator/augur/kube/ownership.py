"""Identity of the objects augur manages: their keys, content hashes and the label selector of
a stack's objects (labels and owner references are set by `augur.render.k8s.labels`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from augur.render.k8s.labels import STACK_UID_LABEL, StackRef

FIELD_MANAGER = "augur"


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Identity of a Kubernetes object: apiVersion, kind, namespace ('' if cluster-scoped), name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """The identity of `obj`."""
    meta = obj.get("metadata") or {}
    return ObjectKey(
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name", "")),
    )


def stack_selector(stack: StackRef) -> str:
    """The label selector of everything `stack` owns."""
    return f"{STACK_UID_LABEL}={stack.uid}"


LONG_STRING = 512
"""Strings at least this long (rule files, dashboards, configurations) are hashed on their
own, and their digests remembered by `ContentHasher`."""

_DIGEST = "\x00sha256"


def content_hash(obj: dict[str, Any]) -> str:
    """A stable hash of an object's content (to skip applying what has not changed)."""
    return ContentHasher().hash(obj)


class ContentHasher:
    """`content_hash`, remembering the digest of each long string from one round to the
    next: a stack's objects carry megabytes of rule files that seldom change, and the same
    string (or an equal one) is then looked up, not encoded and hashed again. Only the strings
    met since the last `next_round` are kept."""

    def __init__(self) -> None:
        self._before: dict[str, str] = {}
        self._now: dict[str, str] = {}

    def hash(self, obj: dict[str, Any]) -> str:
        """The content hash of `obj` (long strings stand for their own digest in it)."""
        text = json.dumps(self._shrunk(obj), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def next_round(self) -> None:
        """Forget the digests of strings not met since the last call."""
        self._before, self._now = self._now, {}

    def _shrunk(self, value: Any) -> Any:
        if isinstance(value, str):
            if len(value) < LONG_STRING:
                return value
            digest = self._now.get(value)
            if digest is None:
                digest = self._before.get(value)
                if digest is None:
                    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
                self._now[value] = digest
            return {_DIGEST: digest}
        if isinstance(value, dict):
            return {key: self._shrunk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._shrunk(item) for item in value]
        return value

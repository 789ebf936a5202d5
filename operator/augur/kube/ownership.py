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


def content_hash(obj: dict[str, Any]) -> str:
    """A stable hash of an object's content (to skip applying what has not changed)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]

"""Labels, owner references and identity of the objects augur manages (plain dicts only)."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

FIELD_MANAGER = "augur"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "augur"
PART_OF_LABEL = "app.kubernetes.io/part-of"
INSTANCE_LABEL = "app.kubernetes.io/instance"
STACK_UID_LABEL = "augur.dev/stack-uid"
"""Marks every object a stack owns; pruning and drift checks select by it, nothing else."""
STACK_ANNOTATION = "augur.dev/stack"
"""namespace/name of the owning stack, for people (label values cannot hold it all)."""
CLEANUP_FINALIZER = "augur.dev/cleanup"


@dataclass(frozen=True)
class StackRef:
    """The stack that owns objects."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str

    @property
    def key(self) -> str:
        """namespace/name."""
        return f"{self.namespace}/{self.name}"


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


def _label_value(value: str) -> str:
    """A label value: at most 63 characters, ending alphanumeric."""
    return value[:63].rstrip("-_.")


def stamp(
    obj: dict[str, Any], stack: StackRef, *, cluster_scoped: bool, owned: bool = True
) -> dict[str, Any]:
    """A copy of `obj` with augur's labels and, where Kubernetes allows, the stack as owner.

    Owner references cannot point across namespaces or from cluster-scoped objects; such
    objects carry the labels only and are cleaned up by the stack's finalizer. `owned=False`
    (data meant to outlive the stack) also leaves the owner reference out."""
    result = copy.deepcopy(obj)
    meta = result.setdefault("metadata", {})
    if not cluster_scoped:
        meta.setdefault("namespace", stack.namespace)
    labels = meta.setdefault("labels", {})
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    labels.setdefault(PART_OF_LABEL, "augur")
    labels.setdefault(INSTANCE_LABEL, _label_value(stack.name))
    labels[STACK_UID_LABEL] = stack.uid
    meta.setdefault("annotations", {})[STACK_ANNOTATION] = stack.key
    if owned and not cluster_scoped and meta["namespace"] == stack.namespace:
        meta["ownerReferences"] = [
            {
                "apiVersion": stack.api_version,
                "kind": stack.kind,
                "name": stack.name,
                "uid": stack.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    else:
        meta.pop("ownerReferences", None)
    return result


def needs_finalizer(obj: dict[str, Any], stack: StackRef, *, cluster_scoped: bool) -> bool:
    """True when garbage collection cannot remove `obj` with the stack."""
    return cluster_scoped or (obj.get("metadata") or {}).get("namespace") != stack.namespace


def content_hash(obj: dict[str, Any]) -> str:
    """A stable hash of an object's content (to skip applying what has not changed)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]

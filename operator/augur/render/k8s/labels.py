"""The one place that names a stack's objects and sets their labels, annotations and owner.

Renderers set the standard labels as they build an object (`metadata`); `stamp` adds what
only the owning stack's identity gives (its uid, owner reference) to the objects it owns.
Plain dicts only: the Kubernetes I/O lives in `augur.kube`."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from augur import __version__

MANAGED_BY = "augur"
PART_OF = "augur"

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
VERSION_LABEL = "app.kubernetes.io/version"
"""The version of augur that applied an object: on objects only, never in a selector or a pod
template, so an upgrade of augur re-labels objects without rolling a single pod."""
OPERATOR_VERSION = __version__
STACK_UID_LABEL = "augur.dev/stack-uid"
"""Marks every object a stack owns; pruning and drift checks select by it, nothing else."""
STACK_ANNOTATION = "augur.dev/stack"
"""namespace/name of the owning stack, for people (label values cannot hold it all)."""

COMPONENTS = {
    "prometheus": "metrics",
    "alertmanager": "alerting",
    "grafana": "dashboards",
    "jaeger": "tracing",
    "node-exporter": "cluster-metrics",
    "kube-state-metrics": "cluster-metrics",
}
"""app.kubernetes.io/component of each program a stack runs."""


def object_name(stack: str, program: str, suffix: str = "") -> str:
    """`<stack>-<program>[-<suffix>]`: the name of a stack's object in its namespace."""
    return f"{stack}-{program}-{suffix}" if suffix else f"{stack}-{program}"


def scrape_job_name(program: str) -> str:
    """The `job` label of the scrape job of one of a stack's programs (or of the operator):
    what Prometheus' configuration names it, and what rules and dashboards select."""
    return f"augur/{program}"


def selector_labels(stack: str, program: str) -> dict[str, str]:
    """The labels that select a program's pods (never change: selectors are immutable)."""
    return {NAME_LABEL: program, INSTANCE_LABEL: stack}


def standard_labels(stack: str, program: str) -> dict[str, str]:
    """Every label augur sets on an object of a stack's program."""
    return {
        **selector_labels(stack, program),
        COMPONENT_LABEL: COMPONENTS.get(program, program),
        MANAGED_BY_LABEL: MANAGED_BY,
        PART_OF_LABEL: PART_OF,
    }


def metadata(
    name: str,
    namespace: str | None,
    stack: str,
    program: str,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Object metadata with the standard labels; no namespace for cluster-scoped objects."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = standard_labels(stack, program)
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


# Annotations the operator acts on (render only sets them).
CREATE_ONLY_ANNOTATION = "augur.dev/create-only"
"""On an object the operator creates when absent and never updates (nor deletes)."""
RANDOM_KEYS_ANNOTATION = "augur.dev/random-keys"
"""Keys (comma-separated) of a create-only Secret the operator fills with random values."""
RETAIN_ANNOTATION = "augur.dev/retain-on-delete"
"""On a PersistentVolumeClaim to keep when the stack is deleted."""


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


def _label_value(value: str) -> str:
    """A label value: at most 63 characters, ending alphanumeric."""
    return value[:63].rstrip("-_.")


def stamp(
    obj: dict[str, Any], stack: StackRef, *, cluster_scoped: bool, owned: bool = True
) -> dict[str, Any]:
    """A copy of `obj` with augur's labels (its version among them: the pod templates inside
    are left as they are) and, where Kubernetes allows, the stack as owner.

    Owner references cannot point across namespaces or from cluster-scoped objects; such
    objects carry the labels only and are cleaned up by the stack's finalizer. `owned=False`
    (data meant to outlive the stack) also leaves the owner reference out."""
    result = copy.deepcopy(obj)
    meta = result.setdefault("metadata", {})
    if not cluster_scoped:
        meta.setdefault("namespace", stack.namespace)
    labels = meta.setdefault("labels", {})
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    labels.setdefault(PART_OF_LABEL, PART_OF)
    labels.setdefault(INSTANCE_LABEL, _label_value(stack.name))
    labels[STACK_UID_LABEL] = stack.uid
    labels[VERSION_LABEL] = OPERATOR_VERSION
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

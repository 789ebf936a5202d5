"""The one place that names a stack's objects and sets their standard labels."""

from __future__ import annotations

from typing import Any

MANAGED_BY = "augur"
PART_OF = "augur"

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"

COMPONENTS = {
    "prometheus": "metrics",
    "alertmanager": "alerting",
    "grafana": "dashboards",
    "jaeger": "tracing",
}
"""app.kubernetes.io/component of each program a stack runs."""


def object_name(stack: str, program: str, suffix: str = "") -> str:
    """`<stack>-<program>[-<suffix>]`: the name of a stack's object in its namespace."""
    return f"{stack}-{program}-{suffix}" if suffix else f"{stack}-{program}"


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


def set_standard_labels(obj: dict[str, Any], stack: str, program: str) -> dict[str, Any]:
    """Add the standard labels to `obj`'s metadata (kept: labels already there); returns it."""
    metadata = obj.setdefault("metadata", {})
    labels = metadata.setdefault("labels", {})
    for key, value in standard_labels(stack, program).items():
        labels.setdefault(key, value)
    return obj


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

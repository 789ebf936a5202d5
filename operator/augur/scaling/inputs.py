"""What one ScalingPolicy evaluation starts from: the query window, the stack to read, and
the object whose minimum augur steers (an HPA or a KEDA ScaledObject)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from augur.api.common import duration_seconds
from augur.api.resources import MonitoringStack
from augur.api.scalingpolicy import ScalingPolicySpec
from augur.render.rules.tenancy import scope_for

ORIGINAL_MIN_ANNOTATION = "augur.dev/original-min-replicas"
"""On the steered object: its minimum before augur raised it; present only while raised."""
PAUSED_ANNOTATION = "augur.dev/paused"
"""On the policy: "true" stops steering and restores the original minimum (for incidents)."""
KEDA_API_GROUP = "keda.sh"
HPA_API_VERSION = "autoscaling/v2"
SCALED_OBJECT_API_VERSION = "keda.sh/v1alpha1"
HOLDER_API_VERSIONS = {
    "HorizontalPodAutoscaler": HPA_API_VERSION,
    "ScaledObject": SCALED_OBJECT_API_VERSION,
}
"""The API version augur reads each kind of floor holder in."""


@dataclass(frozen=True)
class QueryProblem:
    """Why no history could be read (the reasons of `augur.prom` errors, or of the stack choice)."""

    reason: str
    message: str

    @property
    def transient(self) -> bool:
        """Whether Prometheus itself failed, so the floor may be held for a grace period."""
        return self.reason in (
            "PrometheusUnreachable",
            "PrometheusError",
            "PrometheusAnswerInvalid",
        )


@dataclass(frozen=True)
class StackChoice:
    """The stack whose Prometheus a policy reads (`stack` "namespace/name"), or why none."""

    stack: str | None
    problem: QueryProblem | None = None


def choose_stack(selecting: Sequence[str], stack_ref: str | None) -> StackChoice:
    """The stack to read, given the stacks (keys "namespace/name") that select the policy.

    One stack: that one. Several: the one `stack_ref` names, which must be among them;
    without `stack_ref` the policy says so rather than picking one at random.
    """
    keys = sorted(set(selecting))
    if stack_ref is not None:
        if stack_ref in keys:
            return StackChoice(stack_ref)
        return StackChoice(
            None,
            QueryProblem(
                "StackRefNotSelecting",
                f"spec.stackRef names {stack_ref}, which does not select this namespace"
                + (f" (selecting: {', '.join(keys)})" if keys else ""),
            ),
        )
    if len(keys) == 1:
        return StackChoice(keys[0])
    if not keys:
        return StackChoice(
            None, QueryProblem("NoStackSelectsNamespace", "no MonitoringStack selects this policy")
        )
    return StackChoice(
        None,
        QueryProblem(
            "SeveralStacksSelectNamespace",
            f"{len(keys)} stacks select this policy ({', '.join(keys)}): "
            "name the one to read with spec.stackRef",
        ),
    )


def stack_ref_key(spec: ScalingPolicySpec, namespace: str) -> str | None:
    """`spec.stackRef` as namespace/name (its namespace defaults to the policy's), or None."""
    ref = spec.stack_ref
    if ref is None:
        return None
    return f"{ref.namespace or namespace}/{ref.name}"


def load_query(spec: ScalingPolicySpec, namespace: str, stack: MonitoringStack) -> str:
    """The policy's load query as `stack` runs it: restricted to the policy's namespace by
    the injector the stack's rules use when the stack enforces tenancy. Raises ValueError
    (PromQLError, InjectionError) when the query is not PromQL the injector can restrict."""
    label = stack.spec.tenancy.enforce_namespace_label
    return scope_for(namespace, stack.metadata.namespace, label).restrict(spec.metric.query)


@dataclass(frozen=True)
class QueryWindow:
    """The `query_range` to run: `points` values from `start` to `end` every `step` seconds."""

    start: float
    end: float
    step: float

    @property
    def points(self) -> int:
        """Grid points in the window, both ends included."""
        return round((self.end - self.start) / self.step) + 1


def history_window(spec: ScalingPolicySpec, now: float) -> QueryWindow:
    """`forecast.history` up to `now`, on a grid of `forecast.step` aligned to the epoch.

    Aligning the grid keeps every evaluation's points on the same timestamps (and lets
    Prometheus' own caches serve them); the last point is at most one step old.
    """
    step = duration_seconds(spec.forecast.step)
    points = max(1, round(duration_seconds(spec.forecast.history) / step))
    end = math.floor(now / step) * step
    return QueryWindow(end - (points - 1) * step, end, step)


@dataclass(frozen=True)
class FloorHolder:
    """The object whose minimum replicas augur steers: the HPA, or the KEDA ScaledObject that
    owns it (KEDA would undo a change made to the HPA it generates)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    min_replicas: int
    """The minimum in force now (the API's default when the field is unset)."""
    max_replicas: int
    original_min: int | None = None
    """The minimum before augur raised it (from ORIGINAL_MIN_ANNOTATION); None: not raised."""

    @property
    def min_field(self) -> str:
        """The spec field holding the minimum."""
        return "minReplicaCount" if self.kind == "ScaledObject" else "minReplicas"


def keda_owner(hpa: Mapping[str, Any]) -> str | None:
    """The name of the KEDA ScaledObject that owns `hpa` (a dict), or None."""
    for owner in (hpa.get("metadata") or {}).get("ownerReferences") or []:
        group = str(owner.get("apiVersion", "")).split("/")[0]
        if owner.get("kind") == "ScaledObject" and group == KEDA_API_GROUP:
            return str(owner.get("name"))
    return None


def _original(metadata: Mapping[str, Any]) -> int | None:
    text = (metadata.get("annotations") or {}).get(ORIGINAL_MIN_ANNOTATION)
    try:
        return int(text) if text is not None else None
    except ValueError:  # edited by hand into nonsense: treat as not raised rather than crash
        return None


def _int_or(value: Any, default: int) -> int:
    return default if value is None else int(value)


def hpa_holder(hpa: Mapping[str, Any]) -> FloorHolder:
    """The floor holder of an `autoscaling/v2` HorizontalPodAutoscaler given as a dict."""
    metadata = hpa.get("metadata") or {}
    spec = hpa.get("spec") or {}
    return FloorHolder(
        api_version=str(hpa.get("apiVersion") or HPA_API_VERSION),
        kind="HorizontalPodAutoscaler",
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        min_replicas=_int_or(spec.get("minReplicas"), 1),
        max_replicas=_int_or(spec.get("maxReplicas"), 1),
        original_min=_original(metadata),
    )


def scaled_object_holder(scaled_object: Mapping[str, Any]) -> FloorHolder:
    """The floor holder of a KEDA ScaledObject given as a dict (KEDA's defaults: 0 and 100)."""
    metadata = scaled_object.get("metadata") or {}
    spec = scaled_object.get("spec") or {}
    return FloorHolder(
        api_version=str(scaled_object.get("apiVersion") or SCALED_OBJECT_API_VERSION),
        kind="ScaledObject",
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        min_replicas=_int_or(spec.get("minReplicaCount"), 0),
        max_replicas=_int_or(spec.get("maxReplicaCount"), 100),
        original_min=_original(metadata),
    )


def steered_object(steered: str | None) -> tuple[str, str, str] | None:
    """(apiVersion, kind, name) of a kept `steered` "Kind/name", or None when it names no
    kind augur steers (unset, or edited by hand)."""
    kind, _, name = (steered or "").partition("/")
    if kind not in HOLDER_API_VERSIONS or not name:
        return None
    return HOLDER_API_VERSIONS[kind], kind, name


def is_paused(policy_metadata: Mapping[str, Any]) -> bool:
    """Whether the policy carries `augur.dev/paused: "true"`."""
    value = (policy_metadata.get("annotations") or {}).get(PAUSED_ANNOTATION, "")
    return str(value).strip().lower() == "true"

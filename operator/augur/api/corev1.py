"""The core/v1 types a stack's pod settings embed (Affinity, Toleration), as models.

They mirror Kubernetes' own types field for field (tests compare them with the core/v1
OpenAPI schema), and add what Kubernetes checks only in code when a pod is created (the
operators and effects it knows, weights from 1 to 100), so a misspelt field or operator is
refused by the CRD, `augur validate` and the admission check instead of failing a
StatefulSet later.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from augur.api.common import ApiModel, LabelSelector

MAX_TERMS = 16
"""Most terms, requirements or tolerations in one list: far above what scheduling needs."""


class Toleration(ApiModel):
    """Lets the pods run on nodes with a matching taint (core/v1 Toleration)."""

    key: str | None = Field(default=None, max_length=316)
    """Taint key the toleration applies to; empty with operator Exists: every taint."""
    operator: Literal["Exists", "Equal"] | None = None
    """Equal (default): the taint's value must be `value`; Exists: any value."""
    value: str | None = Field(default=None, max_length=63)
    """Taint value to match with operator Equal; empty with Exists."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to match; empty: every effect."""
    toleration_seconds: int | None = None
    """With effect NoExecute: seconds the pod stays bound after the taint appears; unset:
    forever."""


class NodeSelectorRequirement(ApiModel):
    """A node label (or field) and the values it must (not) have."""

    key: str = Field(min_length=1, max_length=316)
    """The node label key (or field name, in matchFields)."""
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    """How the key relates to values: In, NotIn, Exists, DoesNotExist, Gt or Lt (Gt and Lt
    compare one integer value)."""
    values: list[str] = Field(default_factory=list, max_length=MAX_TERMS)
    """Values for In, NotIn (one or more), Gt and Lt (exactly one); none for Exists and
    DoesNotExist."""


class NodeSelectorTerm(ApiModel):
    """Requirements a node must all meet (an empty term matches no node)."""

    match_expressions: list[NodeSelectorRequirement] = Field(
        default_factory=list, max_length=MAX_TERMS
    )
    """Requirements on the node's labels."""
    match_fields: list[NodeSelectorRequirement] = Field(default_factory=list, max_length=MAX_TERMS)
    """Requirements on the node's fields (only metadata.name is supported)."""


class NodeSelector(ApiModel):
    """Terms of which a node must meet at least one."""

    node_selector_terms: list[NodeSelectorTerm] = Field(min_length=1, max_length=MAX_TERMS)
    """The terms; a node meeting any one of them qualifies."""


class PreferredSchedulingTerm(ApiModel):
    """A node term the scheduler prefers, with how much."""

    weight: int = Field(ge=1, le=100)
    """How much nodes meeting the term are preferred, 1 to 100."""
    preference: NodeSelectorTerm
    """The node term the scheduler prefers nodes by."""


class NodeAffinity(ApiModel):
    """Which nodes the pods may or would rather run on."""

    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    """Nodes the pods must run on; unset: any node."""
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] = Field(
        default_factory=list, max_length=MAX_TERMS
    )
    """Nodes the scheduler prefers, each term weighted."""


class PodAffinityTerm(ApiModel):
    """Pods (by labels and namespaces) and the topology domain they are counted in."""

    label_selector: LabelSelector | None = None
    """Labels of the pods counted; unset: no pod."""
    namespace_selector: LabelSelector | None = None
    """Namespaces (by labels) whose pods are counted, with `namespaces`; unset and no
    namespaces: the pod's own namespace."""
    namespaces: list[str] = Field(default_factory=list, max_length=MAX_TERMS)
    """Namespaces (by name) whose pods are counted."""
    topology_key: str = Field(min_length=1, max_length=316)
    """Node label whose value defines the domain, e.g. kubernetes.io/hostname or
    topology.kubernetes.io/zone."""
    match_label_keys: list[str] = Field(default_factory=list, max_length=MAX_TERMS)
    """Pod label keys whose values, taken from the incoming pod, are added to labelSelector."""
    mismatch_label_keys: list[str] = Field(default_factory=list, max_length=MAX_TERMS)
    """Pod label keys whose values must differ from the incoming pod's."""


class WeightedPodAffinityTerm(ApiModel):
    """A pod affinity term the scheduler prefers, with how much."""

    weight: int = Field(ge=1, le=100)
    """How much the term counts, 1 to 100."""
    pod_affinity_term: PodAffinityTerm
    """The pods counted and their topology domain."""


class PodAffinity(ApiModel):
    """Pods to run near (or, as anti-affinity, away from)."""

    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] = Field(
        default_factory=list, max_length=MAX_TERMS
    )
    """Terms that must all hold for a node to be chosen."""
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] = Field(
        default_factory=list, max_length=MAX_TERMS
    )
    """Terms the scheduler prefers, each weighted."""


class Affinity(ApiModel):
    """Scheduling constraints of the pods (core/v1 Affinity)."""

    node_affinity: NodeAffinity | None = None
    """Which nodes the pods may or would rather run on."""
    pod_affinity: PodAffinity | None = None
    """Pods to run in the same domain as (e.g. the same zone)."""
    pod_anti_affinity: PodAffinity | None = None
    """Pods to run away from (e.g. one replica per node)."""

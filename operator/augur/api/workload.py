"""Settings every stack component takes: pod placement, storage, resources, exposure."""

from __future__ import annotations

from pydantic import Field

from augur.api.common import ApiModel, ObjectName, Quantity
from augur.api.corev1 import Affinity, Toleration

MAX_TOLERATIONS = 32
"""Most tolerations a component's pods take."""


class LocalObjectReference(ApiModel):
    """A reference to an object by name in the same namespace."""

    name: ObjectName
    """Name of the object."""


class PodSettings(ApiModel):
    """Where and how a component's pods run."""

    node_selector: dict[str, str] = Field(default_factory=dict)
    """Node labels the pods must run on."""
    tolerations: list[Toleration] = Field(default_factory=list, max_length=MAX_TOLERATIONS)
    """Tolerations of the pods (core/v1 Toleration), so they may run on tainted nodes. Default:
    none."""
    affinity: Affinity | None = None
    """Scheduling constraints of the pods (core/v1 Affinity); unset and replicas > 1: a
    preferred anti-affinity spreads the pods over nodes."""
    image_pull_secrets: list[LocalObjectReference] = Field(default_factory=list)
    """Secrets for pulling the image from a private registry."""
    priority_class_name: str | None = None
    """PriorityClass of the pods."""
    service_account_annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations of the component's ServiceAccount (e.g. a cloud IAM role)."""
    pod_annotations: dict[str, str] = Field(default_factory=dict)
    """Extra annotations on the pods."""


class Storage(ApiModel):
    """A persistent volume per replica; without it, an emptyDir."""

    size: Quantity = "10Gi"
    """Requested size, a Kubernetes quantity such as 20Gi."""
    storage_class_name: str | None = None
    """StorageClass; unset uses the cluster default."""
    retain_on_delete: bool = True
    """Keep the PersistentVolumeClaims when the stack is deleted."""


class ResourceRequirements(ApiModel):
    """core/v1 ResourceRequirements (requests and limits); unset values get documented defaults."""

    requests: dict[str, Quantity] = Field(default_factory=dict)
    """Minimum resources, e.g. {cpu: 500m, memory: 2Gi}."""
    limits: dict[str, Quantity] = Field(default_factory=dict)
    """Upper bounds of resources (e.g. memory: 4Gi) the container may use; default: none."""


class Ingress(ApiModel):
    """Expose a component's UI through an Ingress."""

    host: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)
    """Host name the Ingress serves, e.g. grafana.example.com."""
    class_name: str | None = None
    """IngressClass of the Ingress; unset: the cluster's default class."""
    tls_secret_name: str | None = None
    """Secret with the TLS certificate for host; unset serves plain HTTP."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations for the ingress controller."""
    path: str = "/"
    """Path prefix the program is served under (also its route prefix); default /."""

"""The workload builders every stack component shares: StatefulSets, Deployments, their pods,
Services, claims and other neighbours.

Pods run as non-root with a read-only root filesystem, every capability dropped, the
RuntimeDefault seccomp profile and no privilege escalation; a ServiceAccount token only where
the program talks to the API server. Configuration is mounted as whole volumes (never
`subPath`, whose mounts never see updates)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from augur.api.workload import Ingress, PodSettings, ResourceRequirements, Storage
from augur.render.k8s.labels import (
    RETAIN_ANNOTATION,
    metadata,
    object_name,
    selector_labels,
    standard_labels,
)

Obj = dict[str, Any]

NONROOT_UID = 65534
"""`nobody`: the user the Prometheus and Alertmanager images run as."""

CONFIG_HASH_ANNOTATION = "augur.dev/config-hash"
"""Hash of configuration that only reaches the program when its pods roll."""

DATA_VOLUME = "data"


def config_hash(*parts: str) -> str:
    """A short, stable hash of configuration texts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def resources(user: ResourceRequirements, default_requests: dict[str, str]) -> Obj:
    """The user's requests and limits; a default request only for a resource they left unset.

    A resource with only a limit gets no default request (Kubernetes then requests the
    limit), so a small limit never meets a larger default request."""
    requests = dict(user.requests)
    for name, value in default_requests.items():
        if name not in requests and name not in user.limits:
            requests[name] = value
    out: Obj = {}
    if requests:
        out["requests"] = dict(sorted(requests.items()))
    if user.limits:
        out["limits"] = dict(sorted(user.limits.items()))
    return out


def http_probe(path: str, port: str, *, period: int = 10, failures: int = 3) -> Obj:
    """An HTTP GET probe of a program's health endpoint on a named port."""
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def container_security_context() -> Obj:
    """What every augur container runs with."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_env() -> list[Obj]:
    """POD_NAME and POD_IP from the downward API."""
    return [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    ]


@dataclass(frozen=True)
class Workload:
    """One program of a stack run as a StatefulSet."""

    stack: str
    namespace: str
    program: str
    """prometheus, alertmanager, ...: the app.kubernetes.io/name of its objects."""
    replicas: int
    pod: PodSettings
    containers: list[Obj]
    volumes: list[Obj]
    storage: Storage | None = None
    """A PVC template per replica; unset: the data volume is an emptyDir."""
    init_containers: list[Obj] = field(default_factory=list)
    automount_token: bool = False
    """Mount a ServiceAccount token (only for programs that call the API server)."""
    termination_grace_seconds: int = 120
    statefulset_annotations: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Name of the StatefulSet, ServiceAccount and client Service."""
        return object_name(self.stack, self.program)

    @property
    def headless_name(self) -> str:
        """Name of the headless Service that gives each pod a stable DNS name."""
        return object_name(self.stack, self.program, "headless")

    def meta(self, name: str | None = None, annotations: dict[str, str] | None = None) -> Obj:
        """Metadata of one of this workload's namespaced objects."""
        return metadata(name or self.name, self.namespace, self.stack, self.program, annotations)

    def pod_dns_names(self, port: int) -> list[str]:
        """host:port of every replica through the headless Service."""
        domain = f"{self.headless_name}.{self.namespace}.svc"
        return [f"{self.name}-{i}.{domain}:{port}" for i in range(self.replicas)]


def _anti_affinity(w: Workload) -> Obj:
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": selector_labels(w.stack, w.program)},
                    },
                }
            ]
        }
    }


def _as_given(model: BaseModel) -> Obj:
    """A core/v1 value as the user wrote it (fields left out stay out)."""
    given: Obj = model.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return given


def _placement(w: Workload) -> Obj:
    pod = w.pod
    out: Obj = {}
    if pod.node_selector:
        out["nodeSelector"] = dict(sorted(pod.node_selector.items()))
    if pod.tolerations:
        out["tolerations"] = [_as_given(t) for t in pod.tolerations]
    affinity = _as_given(pod.affinity) if pod.affinity is not None else {}
    if affinity:
        out["affinity"] = affinity
    elif w.replicas > 1:
        out["affinity"] = _anti_affinity(w)
    if pod.image_pull_secrets:
        out["imagePullSecrets"] = [{"name": ref.name} for ref in pod.image_pull_secrets]
    if pod.priority_class_name:
        out["priorityClassName"] = pod.priority_class_name
    return out


def _volumes(w: Workload) -> list[Obj]:
    volumes = list(w.volumes)
    if w.storage is None:
        volumes.append({"name": DATA_VOLUME, "emptyDir": {}})
    return volumes


def pod_template(w: Workload) -> Obj:
    """The pod template: placement, security, containers and volumes."""
    template_meta: Obj = {"labels": standard_labels(w.stack, w.program)}
    if w.pod.pod_annotations:
        template_meta["annotations"] = dict(sorted(w.pod.pod_annotations.items()))
    spec: Obj = {
        "serviceAccountName": w.name,
        "automountServiceAccountToken": w.automount_token,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": NONROOT_UID,
            "runAsGroup": NONROOT_UID,
            "fsGroup": NONROOT_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": w.termination_grace_seconds,
        **_placement(w),
    }
    if w.init_containers:
        spec["initContainers"] = w.init_containers
    spec["containers"] = w.containers
    spec["volumes"] = _volumes(w)
    return {"metadata": template_meta, "spec": spec}


def volume_claim_templates(storage: Storage) -> list[Obj]:
    """One PVC per replica for the data volume."""
    spec: Obj = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": storage.size}},
    }
    if storage.storage_class_name:
        spec["storageClassName"] = storage.storage_class_name
    return [{"metadata": {"name": DATA_VOLUME}, "spec": spec}]


def data_claim_name(stack: str, program: str) -> str:
    """The PersistentVolumeClaim of a Deployment's data volume."""
    return object_name(stack, program, "data")


def data_claim(w: Workload, storage: Storage) -> Obj:
    """The data volume of a single-writer Deployment, kept on stack deletion if asked."""
    spec = volume_claim_templates(storage)[0]["spec"]
    retain = {RETAIN_ANNOTATION: "true"} if storage.retain_on_delete else None
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": w.meta(data_claim_name(w.stack, w.program), retain),
        "spec": spec,
    }


def deployment(w: Workload, *, recreate: bool, template_annotations: dict[str, str]) -> Obj:
    """A Deployment around the shared pod template; `recreate` when pods share a RWO volume
    (the old pod must let go of it before the new one starts)."""
    template = pod_template(w)
    meta = template["metadata"]
    meta["annotations"] = dict(
        sorted({**meta.get("annotations", {}), **template_annotations}.items())
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": w.meta(),
        "spec": {
            "replicas": w.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector_labels(w.stack, w.program)},
            "strategy": {"type": "Recreate" if recreate else "RollingUpdate"},
            "template": template,
        },
    }


def stateful_set(w: Workload) -> Obj:
    """The StatefulSet; PVCs follow storage.retainOnDelete when the stack is deleted."""
    spec: Obj = {
        "replicas": w.replicas,
        "serviceName": w.headless_name,
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": selector_labels(w.stack, w.program)},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": pod_template(w),
    }
    if w.storage is not None:
        spec["volumeClaimTemplates"] = volume_claim_templates(w.storage)
        spec["persistentVolumeClaimRetentionPolicy"] = {
            "whenDeleted": "Retain" if w.storage.retain_on_delete else "Delete",
            "whenScaled": "Retain",
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": w.meta(annotations=w.statefulset_annotations),
        "spec": spec,
    }


def service_account(w: Workload) -> Obj:
    """The program's ServiceAccount, with the user's annotations (e.g. a cloud IAM role)."""
    annotations = w.pod.service_account_annotations or None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": w.meta(annotations=annotations),
        "automountServiceAccountToken": w.automount_token,
    }


def _service_port(name: str, port: int, protocol: str = "TCP") -> Obj:
    return {"name": name, "port": port, "targetPort": port, "protocol": protocol}


def headless_service(w: Workload, ports: list[tuple[str, int, str]]) -> Obj:
    """Stable per-pod DNS names, including not-ready pods (peers must find each other)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": w.meta(w.headless_name),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": selector_labels(w.stack, w.program),
            "ports": [_service_port(*port) for port in ports],
        },
    }


def client_service(w: Workload, name: str, port: int) -> Obj:
    """The Service clients and the UI use: ready pods only."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": w.meta(),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(w.stack, w.program),
            "ports": [_service_port(name, port)],
        },
    }


def pod_disruption_budget(w: Workload) -> list[Obj]:
    """At most one pod down at a time, when there is more than one."""
    if w.replicas <= 1:
        return []
    return [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": w.meta(),
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchLabels": selector_labels(w.stack, w.program)},
            },
        }
    ]


def ingress(w: Workload, spec: Ingress | None, port_name: str) -> list[Obj]:
    """An Ingress to the client Service's UI port, when the user asked for one."""
    if spec is None:
        return []
    rule = {
        "host": spec.host,
        "http": {
            "paths": [
                {
                    "path": spec.path,
                    "pathType": "Prefix",
                    "backend": {"service": {"name": w.name, "port": {"name": port_name}}},
                }
            ]
        },
    }
    body: Obj = {"rules": [rule]}
    if spec.class_name:
        body = {"ingressClassName": spec.class_name, **body}
    if spec.tls_secret_name:
        body["tls"] = [{"hosts": [spec.host], "secretName": spec.tls_secret_name}]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": w.meta(annotations=spec.annotations or None),
            "spec": body,
        }
    ]


def external_url(spec: Ingress | None) -> str | None:
    """The URL users reach the UI at (for links in alerts), when exposed."""
    if spec is None:
        return None
    scheme = "https" if spec.tls_secret_name else "http"
    return f"{scheme}://{spec.host}{spec.path.rstrip('/')}"


def route_prefix(spec: Ingress | None) -> str:
    """The path prefix the program serves under: the Ingress path, without a trailing /."""
    return spec.path.rstrip("/") if spec is not None else ""

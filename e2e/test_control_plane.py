"""The local control plane is a real cluster: workloads become ready, GC cascades, RBAC denies."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from e2e.conftest import Cluster


def wait_for(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout}s")


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.invalid/web:1}]
"""

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: registry.invalid/db:1}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""


def ready_replicas(cluster: Cluster, kind: str, name: str, namespace: str) -> int:
    obj = cluster.get_json(kind, name, "-n", namespace)
    status: dict[str, int] = obj.get("status", {})  # type: ignore[assignment]
    return status.get("readyReplicas", 0)


def test_deployment_becomes_ready(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=DEPLOYMENT)
    wait_for(lambda: ready_replicas(cluster, "deployment", "web", namespace) == 2, "2 ready pods")


def test_statefulset_with_storage_becomes_ready(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=STATEFULSET)
    wait_for(lambda: ready_replicas(cluster, "statefulset", "db", namespace) == 2, "2 ready pods")
    claims = cluster.get_json("pvc", "-n", namespace)["items"]
    assert [c["status"]["phase"] for c in claims] == ["Bound", "Bound"]  # type: ignore[index]


def test_deleting_an_owner_collects_its_dependents(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=DEPLOYMENT)
    wait_for(lambda: ready_replicas(cluster, "deployment", "web", namespace) == 2, "2 ready pods")
    assert cluster.get_json("replicasets", "-n", namespace)["items"]
    cluster.kubectl("delete", "deployment", "web", "-n", namespace, "--cascade=background")

    def collected() -> bool:
        left = cluster.get_json("replicasets,pods", "-n", namespace)["items"]
        return not left

    wait_for(collected, "garbage collection of the ReplicaSet and its pods")


def token_kubeconfig(cluster: Cluster, token: str, path: Path) -> Cluster:
    """A kubeconfig that authenticates with a ServiceAccount token only (no client cert)."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    cluster_name = admin["clusters"][0]["name"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": cluster_name, "user": "sa"}}],
        "current-context": "sa",
    }
    path.write_text(yaml.safe_dump(config))
    return Cluster(path)


def test_service_account_without_permissions_is_denied(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    cluster.kubectl("create", "serviceaccount", "nobody", "-n", namespace)
    token = cluster.kubectl("create", "token", "nobody", "-n", namespace).stdout.strip()
    nobody = token_kubeconfig(cluster, token, tmp_path / "nobody")
    denied = nobody.kubectl("get", "configmaps", "-n", namespace, check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    assert f"system:serviceaccount:{namespace}:nobody" in denied.stderr
    cluster.kubectl(
        "create",
        "rolebinding",
        "nobody-view",
        "--clusterrole=view",
        f"--serviceaccount={namespace}:nobody",
        "-n",
        namespace,
    )

    def allowed() -> bool:
        return nobody.kubectl("get", "configmaps", "-n", namespace, check=False).returncode == 0

    wait_for(allowed, "access granted by the RoleBinding")


def test_nodes_are_ready_and_managed_by_kwok(cluster: Cluster) -> None:
    nodes = cluster.get_json("nodes")["items"]
    assert len(nodes) >= 3  # type: ignore[arg-type]
    for node in nodes:  # type: ignore[attr-defined]
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert ready["Ready"] == "True"


def test_server_version_is_pinned(cluster: Cluster) -> None:
    from augur import versions

    version = yaml.safe_load(cluster.kubectl("version", "-o", "yaml").stdout)
    assert version["serverVersion"]["gitVersion"] == f"v{versions.KUBERNETES_VERSION}"


def test_an_apply_reads_back_metadata_alone(cluster: Cluster, namespace: str) -> None:
    """augur's client applies a large ConfigMap (a rule shard) and is sent back only its
    metadata, not the data it just sent."""
    from augur.kube.client import KubeClient
    from augur.kube.credentials import load_credentials
    from augur.kube.ownership import ObjectKey

    kube = KubeClient(load_credentials(str(cluster.kubeconfig)))
    try:
        shard = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "big-shard", "namespace": namespace},
            "data": {f"file-{i}.yaml": "groups: []\n" + "#" * 4000 for i in range(50)},
        }
        first = kube.apply(shard)
        assert first["kind"] == "PartialObjectMetadata"
        assert "data" not in first
        assert first["metadata"]["name"] == "big-shard"
        shard["data"]["file-0.yaml"] = "groups: []\n"
        second = kube.apply(shard)
        assert int(second["metadata"]["resourceVersion"]) > int(
            first["metadata"]["resourceVersion"]
        )
        live = kube.get(ObjectKey("v1", "ConfigMap", namespace, "big-shard"))
        assert live is not None and live["data"]["file-0.yaml"] == "groups: []\n"
        assert len(live["data"]) == 50
    finally:
        kube.close()


def test_a_status_write_reads_back_metadata_alone(crds_installed: Cluster, namespace: str) -> None:
    """augur's client writes a custom resource's status and is sent back only its metadata."""
    from augur.kube.client import KubeClient
    from augur.kube.credentials import load_credentials
    from augur.kube.ownership import ObjectKey

    policy = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "statused", "namespace": namespace},
        "spec": {"alerts": [{"name": "Down", "expr": "up == 0", "severity": "high"}]},
    }
    kube = KubeClient(load_credentials(str(crds_installed.kubeconfig)))
    try:
        kube.create(policy)
        key = ObjectKey("augur.dev/v1alpha1", "AlertPolicy", namespace, "statused")
        answer = kube.patch_status(key, {"observedGeneration": 1})
        assert answer["kind"] == "PartialObjectMetadata"
        assert "spec" not in answer and "status" not in answer
        assert answer["metadata"]["name"] == "statused"
        live = kube.get(key)
        assert live is not None and live["status"]["observedGeneration"] == 1
    finally:
        kube.close()

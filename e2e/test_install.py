"""The Helm chart on a real control plane: `helm install`, and what its ServiceAccount may do.

The operator runs here as a local process with a kubeconfig holding a TokenRequest token of
the chart's ServiceAccount: the very identity the chart's Deployment runs as, so every
`Forbidden` the RBAC would cause in a cluster shows in its log.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from e2e.conftest import REPO_ROOT, Cluster
from e2e.operator_fixtures import condition, get, start_operator, wait_for

CHART = REPO_ROOT / "charts" / "augur"
SHOP = REPO_ROOT / "examples" / "shop"


@dataclass(frozen=True)
class Release:
    """An installed release and a cluster handle acting as its ServiceAccount."""

    name: str
    namespace: str
    identity: Cluster

    def can(self, verb: str, resource: str, *where: str) -> bool:
        """`kubectl auth can-i` as the chart's ServiceAccount."""
        result = self.identity.kubectl("auth", "can-i", verb, resource, *where, check=False)
        answer = result.stdout.strip()
        assert answer in {"yes", "no"}, result.stdout + result.stderr
        return answer == "yes"


def _helm(helm: Path, cluster: Cluster, *args: str) -> str:
    result = subprocess.run(
        [str(helm), "--kubeconfig", str(cluster.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"helm {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def _token_kubeconfig(cluster: Cluster, namespace: str, account: str, path: Path) -> Cluster:
    """A kubeconfig for the ServiceAccount, from a TokenRequest (`kubectl create token`)."""
    token = cluster.kubectl(
        "create", "token", account, "-n", namespace, "--duration", "1h"
    ).stdout.strip()
    admin = json.loads(cluster.kubectl("config", "view", "--raw", "--minify", "-o", "json").stdout)
    server = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": server}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "e2e", "user": account}}],
        "current-context": "sa",
    }
    path.write_text(yaml.safe_dump(config))
    return Cluster(path)


@pytest.fixture(scope="module")
def helm() -> Path:
    from augur.dev.tools import tool_path

    return tool_path("helm")


def _install(helm: Path, cluster: Cluster, tmp: Path, name: str, *values: str) -> Iterator[Release]:
    namespace = f"{name}-{uuid.uuid4().hex[:6]}"
    _helm(helm, cluster, "install", name, str(CHART), "-n", namespace, "--create-namespace",
          *values)  # fmt: skip
    identity = _token_kubeconfig(cluster, namespace, name, tmp / f"{name}.kubeconfig")
    yield Release(name, namespace, identity)
    _helm(helm, cluster, "uninstall", name, "-n", namespace, "--wait")
    cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture(scope="module")
def cluster_wide(
    helm: Path, crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    yield from _install(helm, crds_installed, tmp_path_factory.mktemp("wide"), "augur")


@pytest.fixture(scope="module")
def watched(
    helm: Path, crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Release, str, str]]:
    inside, outside = (f"e2e-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for namespace in (inside, outside):
        crds_installed.kubectl("create", "namespace", namespace)
    tmp = tmp_path_factory.mktemp("watched")
    yield from (
        (release, inside, outside)
        for release in _install(
            helm, crds_installed, tmp, "augur-watched", "--set", f"watchNamespaces={{{inside}}}"
        )
    )
    for namespace in (inside, outside):
        crds_installed.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_install_creates_the_operators_objects(cluster_wide: Release, cluster: Cluster) -> None:
    ns = cluster_wide.namespace
    deployment = get(cluster, "deployment", "augur", "-n", ns)
    assert deployment is not None and deployment["spec"]["replicas"] == 2
    for kind in ("serviceaccount", "service", "poddisruptionbudget"):
        assert get(cluster, kind, "augur", "-n", ns) is not None, kind
    for role in ("augur", "augur-cluster"):
        assert get(cluster, "clusterrole", role) is not None
        assert get(cluster, "clusterrolebinding", role) is not None
    for crd in ("monitoringstacks.augur.dev", "clusterkopfpeerings.kopf.dev"):
        assert get(cluster, "crd", crd) is not None


def test_cluster_wide_identity_can_do_what_the_operator_does(cluster_wide: Release) -> None:
    can = cluster_wide.can
    assert can("list", "monitoringstacks.augur.dev", "-A")
    assert can("watch", "alertpolicies.augur.dev", "-A")
    assert can("patch", "businesskpis.augur.dev", "--subresource=status", "-n", "shop")
    assert can("create", "statefulsets.apps", "-n", "monitoring")
    assert can("delete", "configmaps", "-n", "monitoring")
    assert can("get", "secrets", "-n", "shop")
    assert can("create", "clusterroles.rbac.authorization.k8s.io")
    assert can("patch", "clusterkopfpeerings.kopf.dev")
    assert can("get", "deployments.apps", "--subresource=scale", "-n", "shop")
    assert can("patch", "horizontalpodautoscalers.autoscaling", "-n", "shop")
    assert can("watch", "namespaces")
    assert can("create", "events", "-n", "shop")
    # ... and nothing it does not do.
    assert not can("bind", "clusterroles.rbac.authorization.k8s.io")
    assert not can("escalate", "roles.rbac.authorization.k8s.io", "-n", "shop")
    assert not can("delete", "persistentvolumeclaims", "-n", "monitoring")
    assert not can("create", "pods", "-n", "shop")
    assert not can("impersonate", "serviceaccounts", "-n", "shop")


def test_watched_identity_reads_no_secret_outside_its_namespaces(
    watched: tuple[Release, str, str], cluster: Cluster
) -> None:
    release, inside, outside = watched
    assert get(cluster, "role", "augur-watched", "-n", inside) is not None
    assert get(cluster, "role", "augur-watched", "-n", outside) is None
    assert release.can("get", "secrets", "-n", inside)
    assert release.can("create", "statefulsets.apps", "-n", inside)
    assert release.can("patch", "kopfpeerings.kopf.dev", "-n", inside)
    assert not release.can("get", "secrets", "-n", outside)
    assert not release.can("list", "secrets", "-A")
    assert not release.can("list", "monitoringstacks.augur.dev", "-n", outside)
    assert not release.can("create", "clusterroles.rbac.authorization.k8s.io")
    assert release.can("list", "namespaces")  # cluster-scoped, read-only


def test_the_shop_example_converges_as_the_charts_identity(
    cluster_wide: Release, cluster: Cluster, tmp_path: Path
) -> None:
    cluster.kubectl("apply", "-f", str(SHOP / "00-namespaces.yaml"))
    cluster.kubectl("apply", "-f", str(SHOP))
    operator = start_operator(cluster_wide.identity, tmp_path / "operator.log", "e2e-install")
    try:

        def reconciled() -> bool:
            stack = get(cluster, "mstack", "platform", "-n", "monitoring")
            return (condition(stack, "Reconciled") or {}).get("status") == "True"

        wait_for("the shop stack reconciled as the chart's identity", reconciled, timeout=240)

        def loaded() -> bool:
            policy = get(cluster, "apol", "api", "-n", "shop")
            return (condition(policy, "Ready") or {}).get("status") == "True"

        wait_for("AlertPolicy shop/api loaded", loaded)
        assert get(cluster, "statefulset", "platform-prometheus", "-n", "monitoring")
        assert "Forbidden" not in operator.text(), operator.text()[-4000:]
        assert "forbidden" not in operator.text(), operator.text()[-4000:]
        cluster.kubectl("delete", "-f", str(SHOP / "10-stack.yaml"), "--wait=true",
                        "--timeout=120s")  # fmt: skip
        assert "Forbidden" not in operator.text(), operator.text()[-4000:]
    finally:
        operator.stop()
        cluster.kubectl("delete", "-f", str(SHOP), "--ignore-not-found", "--wait=false",
                        check=False)  # fmt: skip

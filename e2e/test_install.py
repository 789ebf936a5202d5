"""The Helm chart on a real control plane: `helm install`, and what its ServiceAccount may do.

The operator runs here as a local process with a kubeconfig holding a TokenRequest token of
the chart's ServiceAccount: the very identity the chart's Deployment runs as, so every
`Forbidden` the RBAC would cause in a cluster shows in its log.

kwok runs no containers, so the API server cannot reach the webhook behind the chart's Service
here: releases that run the shop install without it (test_admission.py shows the webhook at
work), and the full lifecycle keeps it, showing that failurePolicy Ignore lets everything,
finalizer removal included, through while no replica answers.
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
from e2e.operator_fixtures import OperatorProcess, condition, get, start_operator, wait_for

CHART = REPO_ROOT / "charts" / "augur"
SHOP = REPO_ROOT / "examples" / "shop"
SHOP_NAMESPACES = ("monitoring", "shop", "ml")  # the stack selects all three
NO_WEBHOOK = ("--set", "webhook.enabled=false")


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
def shop_namespaces(crds_installed: Cluster) -> Cluster:
    """The shop example's namespaces, kept for the module (the tests remove their objects)."""
    crds_installed.kubectl("apply", "-f", str(SHOP / "00-namespaces.yaml"))
    return crds_installed


@pytest.fixture(scope="module")
def cluster_wide(
    helm: Path, shop_namespaces: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    tmp = tmp_path_factory.mktemp("wide")
    yield from _install(helm, shop_namespaces, tmp, "augur", *NO_WEBHOOK)


@pytest.fixture(scope="module")
def watched(
    helm: Path, shop_namespaces: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Release, str, str]]:
    """A release watching the shop's namespaces; one namespace it does not watch."""
    outside = f"e2e-{uuid.uuid4().hex[:8]}"
    shop_namespaces.kubectl("create", "namespace", outside)
    tmp = tmp_path_factory.mktemp("watched")
    watch = ",".join(SHOP_NAMESPACES)
    yield from (
        (release, "shop", outside)
        for release in _install(
            helm, shop_namespaces, tmp, "augur-watched", "--set", f"watchNamespaces={{{watch}}}",
            *NO_WEBHOOK,
        )
    )  # fmt: skip
    shop_namespaces.kubectl("delete", "namespace", outside, "--wait=false", check=False)


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


def _apply_shop(cluster: Cluster) -> None:
    for path in sorted(SHOP.glob("[1-9]*.yaml")):
        cluster.kubectl("apply", "-f", str(path))


def _remove_shop(cluster: Cluster) -> None:
    for path in sorted(SHOP.glob("[1-9]*.yaml"), reverse=True):
        cluster.kubectl("delete", "-f", str(path), "--ignore-not-found", "--wait=false",
                        check=False)  # fmt: skip


def _converged(cluster: Cluster, operator: OperatorProcess) -> None:
    """The shop's stack reconciled and its API policy loaded, with no Forbidden on the way."""

    def reconciled() -> bool:
        stack = get(cluster, "mstack", "platform", "-n", "monitoring")
        return (condition(stack, "Reconciled") or {}).get("status") == "True"

    wait_for("the shop stack reconciled as the chart's identity", reconciled, timeout=240)

    def loaded() -> bool:
        policy = get(cluster, "apol", "api", "-n", "shop")
        return (condition(policy, "Ready") or {}).get("status") == "True"

    wait_for("AlertPolicy shop/api loaded", loaded)
    assert get(cluster, "statefulset", "platform-prometheus", "-n", "monitoring")
    _no_forbidden(operator)


def _no_forbidden(operator: OperatorProcess) -> None:
    text = operator.text()
    assert "Forbidden" not in text and "forbidden" not in text, text[-4000:]


def _delete_stack(cluster: Cluster) -> None:
    """Delete the shop's stack and wait until it is gone (the operator removes its finalizer)."""
    cluster.kubectl("delete", "-f", str(SHOP / "10-stack.yaml"), "--wait=true", "--timeout=120s")
    assert get(cluster, "mstack", "platform", "-n", "monitoring") is None


def test_the_shop_example_converges_as_the_charts_identity(
    cluster_wide: Release, cluster: Cluster, tmp_path: Path
) -> None:
    _apply_shop(cluster)
    operator = start_operator(cluster_wide.identity, tmp_path / "operator.log", "e2e-install")
    try:
        _converged(cluster, operator)
        _delete_stack(cluster)
        _no_forbidden(operator)
    finally:
        operator.stop()
        _remove_shop(cluster)


def test_the_shop_example_converges_watching_only_its_namespaces(
    watched: tuple[Release, str, str], cluster: Cluster, tmp_path: Path
) -> None:
    release, _, _ = watched
    _apply_shop(cluster)
    operator = start_operator(
        release.identity, tmp_path / "operator.log", "e2e-watched", "--namespace-mode", "listed",
        *(arg for ns in SHOP_NAMESPACES for arg in ("--namespace", ns)),
        "--operator-namespace", release.namespace,
    )  # fmt: skip
    try:
        _converged(cluster, operator)
        # The stack's Prometheus may discover the operator's pods in the operator's namespace.
        scrape = get(cluster, "role", "platform-prometheus", "-n", release.namespace)
        assert scrape is not None
        _delete_stack(cluster)
        # ... and that Role, outside the stack's namespace, went with the stack.
        assert get(cluster, "role", "platform-prometheus", "-n", release.namespace) is None
        _no_forbidden(operator)
    finally:
        operator.stop()
        _remove_shop(cluster)


def _terminating(cluster: Cluster, *kinds: str) -> list[str]:
    """Objects of these kinds, in any namespace, that carry a deletionTimestamp."""
    found = []
    for kind in kinds:
        listing = json.loads(cluster.kubectl("get", kind, "-A", "-o", "json").stdout)
        found += [
            f"{kind}/{item['metadata'].get('namespace', '')}/{item['metadata']['name']}"
            for item in listing["items"]
            if item["metadata"].get("deletionTimestamp")
        ]
    return found


def test_install_apply_upgrade_delete_uninstall_leaves_nothing_terminating(
    helm: Path, shop_namespaces: Cluster, cluster: Cluster, tmp_path: Path
) -> None:
    name = "augur-life"
    namespace = f"{name}-{uuid.uuid4().hex[:6]}"
    # The webhook stays on, unreachable here (see the top): failurePolicy Ignore lets every
    # write through, each after the API server gave up on the webhook.
    _helm(helm, cluster, "install", name, str(CHART), "-n", namespace, "--create-namespace",
          "--set", "webhook.timeoutSeconds=2")  # fmt: skip
    operator = None
    try:
        identity = _token_kubeconfig(cluster, namespace, name, tmp_path / "sa.kubeconfig")
        _apply_shop(cluster)
        operator = start_operator(identity, tmp_path / "operator.log", "e2e-life")
        _converged(cluster, operator)

        before = get(cluster, "deployment", name, "-n", namespace)
        secret = get(cluster, "secret", f"{name}-webhook-tls", "-n", namespace)
        assert before is not None and secret is not None
        _helm(helm, cluster, "upgrade", name, str(CHART), "-n", namespace, "--reuse-values",
              "--set", "logFormat=plain", "--set", "driftInterval=20")  # fmt: skip
        after = get(cluster, "deployment", name, "-n", namespace)
        assert after is not None
        args = after["spec"]["template"]["spec"]["containers"][0]["args"]
        assert "--log-format=plain" in args and "--drift-interval=20" in args
        assert after["metadata"]["generation"] > before["metadata"]["generation"]
        cluster.kubectl("rollout", "status", f"deployment/{name}", "-n", namespace,
                        "--timeout=120s")  # fmt: skip
        sets = json.loads(
            cluster.kubectl("get", "replicaset", "-n", namespace, "-o", "json").stdout
        )
        assert len(sets["items"]) == 2  # the old pod template and the new one
        # The same certificate: the upgrade found the Secret (lookup) instead of a new CA.
        kept = get(cluster, "secret", f"{name}-webhook-tls", "-n", namespace)
        assert kept is not None and kept["data"] == secret["data"]
        configuration = get(cluster, "validatingwebhookconfiguration", name)
        assert configuration is not None
        bundle = configuration["webhooks"][0]["clientConfig"]["caBundle"]
        assert bundle == secret["data"]["ca.crt"]

        _delete_stack(cluster)  # the operator is still running: it removes its finalizer
        _remove_shop(cluster)
        _no_forbidden(operator)
    finally:
        if operator is not None:
            operator.stop()
        _remove_shop(cluster)
        _helm(helm, cluster, "uninstall", name, "-n", namespace, "--wait")

    assert get(cluster, "deployment", name, "-n", namespace) is None
    assert get(cluster, "validatingwebhookconfiguration", name) is None
    assert get(cluster, "clusterrole", name) is None
    # Kept on purpose (helm.sh/resource-policy: keep), like the CRDs.
    assert get(cluster, "secret", f"{name}-webhook-tls", "-n", namespace) is not None
    assert get(cluster, "crd", "monitoringstacks.augur.dev") is not None
    cluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s")
    kinds = ("monitoringstacks.augur.dev", "alertpolicies.augur.dev", "businesskpis.augur.dev",
             "scalingpolicies.augur.dev", "namespaces", "statefulsets", "pods")  # fmt: skip
    assert _terminating(cluster, *kinds) == []

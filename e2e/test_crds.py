"""augur's CRDs on a real API server: accepted, documented, and refusing what CEL can catch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.conftest import REPO_ROOT, Cluster

INVALID = sorted((REPO_ROOT / "examples" / "invalid").glob("*.yaml"))


def server_expectation(path: Path) -> str | None:
    """The `# apiserver-expect:` line of an invalid example, when the API server catches it."""
    match = re.search(r"^# apiserver-expect: (.+)$", path.read_text(), re.M)
    return match.group(1) if match else None


SERVER_CATCHES = [p for p in INVALID if server_expectation(p)]


def test_crds_are_established(crds_installed: Cluster) -> None:
    names = crds_installed.kubectl("get", "crd", "-o", "name").stdout.split()
    for plural in ("monitoringstacks", "alertpolicies", "businesskpis", "scalingpolicies"):
        assert f"customresourcedefinition.apiextensions.k8s.io/{plural}.augur.dev" in names


def test_kubectl_explain_documents_the_api(crds_installed: Cluster) -> None:
    out = crds_installed.kubectl("explain", "alertpolicy.spec.alerts.severity").stdout
    assert "critical pages" in out
    out = crds_installed.kubectl("explain", "mstack.spec.prometheus.retention").stdout
    assert "How long samples are kept" in out


def test_kubectl_explain_documents_the_status(crds_installed: Cluster) -> None:
    out = crds_installed.kubectl("explain", "mstack.status.conditions.reason").stdout
    assert "CamelCase word" in out
    out = crds_installed.kubectl("explain", "spol.status.target").stdout
    assert "kind/name" in out


@pytest.mark.parametrize(
    ("pod", "refusal"),
    [
        (
            {"affinity": {"nodeAfinity": {}}},
            'unknown field "spec.prometheus.pod.affinity.nodeAfinity"',
        ),
        ({"tolerations": [{"key": "k", "operator": "Equals"}]}, "Unsupported value"),
    ],
)
def test_core_types_are_checked_by_the_server(
    crds_installed: Cluster, pod: dict[str, object], refusal: str
) -> None:
    crds_installed.kubectl("create", "namespace", "monitoring", check=False)
    stack = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "placed", "namespace": "monitoring"},
        "spec": {"prometheus": {"pod": pod}},
    }
    result = crds_installed.kubectl(
        "apply", "--dry-run=server", "-f", "-", stdin=json.dumps(stack), check=False
    )
    assert result.returncode != 0 and refusal in result.stderr, result.stderr


def test_valid_examples_are_accepted(crds_installed: Cluster) -> None:
    shop = REPO_ROOT / "examples" / "shop"
    crds_installed.kubectl("apply", "-f", str(shop / "00-namespaces.yaml"))
    result = crds_installed.kubectl("apply", "--dry-run=server", "-f", str(shop))
    assert "alertpolicy.augur.dev/api created (server dry run)" in result.stdout


def test_kubectl_get_augur_lists_every_kind(crds_installed: Cluster) -> None:
    out = crds_installed.kubectl("api-resources", "--categories=augur", "-o", "name").stdout
    assert sorted(out.split()) == [
        "alertpolicies.augur.dev",
        "businesskpis.augur.dev",
        "monitoringstacks.augur.dev",
        "scalingpolicies.augur.dev",
    ]


def test_some_invalid_examples_are_caught_by_the_server() -> None:
    assert len(SERVER_CATCHES) >= 10


@pytest.mark.parametrize("path", SERVER_CATCHES, ids=[p.stem for p in SERVER_CATCHES])
def test_invalid_example_refused_by_api_server(crds_installed: Cluster, path: Path) -> None:
    crds_installed.kubectl("create", "namespace", "shop", check=False)
    crds_installed.kubectl("create", "namespace", "monitoring", check=False)
    result = crds_installed.kubectl("apply", "--dry-run=server", "-f", str(path), check=False)
    assert result.returncode != 0, f"{path.name} was accepted"
    expected = server_expectation(path)
    assert expected is not None
    assert expected in result.stderr, result.stderr


def test_rendered_manifests_pass_server_dry_run(crds_installed: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "augur"),
            "render",
            "-f",
            str(REPO_ROOT / "examples" / "shop"),
            "--out-dir",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    manifests = out / "monitoring" / "platform" / "manifests.yaml"
    text = manifests.read_text()
    assert "kind:" in text, "the stack renders Kubernetes objects"
    crds_installed.kubectl("create", "namespace", "monitoring", check=False)
    result = crds_installed.kubectl("apply", "--dry-run=server", "-f", str(manifests), check=False)
    assert result.returncode == 0, result.stderr

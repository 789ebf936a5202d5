"""End-to-end fixtures: a real control plane (or the cluster named by AUGUR_E2E_KUBECONFIG)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


LOG_TAIL_LINES = 150
"""Lines of each operator's log shown with a failed test."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    """A failed test's report ends with the tail of the log of every operator it used (what
    the operator saw is most of why an end-to-end test fails)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for name, value in (getattr(item, "funcargs", None) or {}).items():
        log = getattr(value, "log", None)
        if not isinstance(log, Path) or not log.is_file():
            continue
        lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        report.sections.append((f"{name}: the last lines of {log.name}", "\n".join(lines)))


@dataclass(frozen=True)
class Cluster:
    """A running cluster the tests talk to with kubectl, as a user would."""

    kubeconfig: Path
    plane: Any = None
    """The local control plane (augur.dev.cluster.ControlPlane) when the tests started it;
    None for a cluster named by AUGUR_E2E_KUBECONFIG."""

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl; fail the test with kubectl's own message when `check` and it fails."""
        result = subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)}: {result.stderr}")
        return result

    def get_json(self, *args: str) -> dict[str, object]:
        """kubectl get ... -o json, parsed."""
        out: dict[str, object] = json.loads(self.kubectl("get", *args, "-o", "json").stdout)
        return out


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane for the whole session; AUGUR_E2E_KUBECONFIG names an existing cluster."""
    existing = os.environ.get("AUGUR_E2E_KUBECONFIG")
    if existing:
        yield Cluster(Path(existing))
        return
    from augur.dev.cluster import PROGRAMS, ControlPlane
    from augur.dev.tools import tool_path

    binaries = {name: tool_path(name) for name in PROGRAMS}
    with ControlPlane(
        tmp_path_factory.mktemp("control-plane"), binaries, die_with_parent=True
    ) as plane:
        yield Cluster(plane.kubeconfig, plane)


@pytest.fixture(scope="session")
def crds_installed(cluster: Cluster) -> Cluster:
    """The cluster with augur's CRDs applied and established."""
    cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    return cluster


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)

"""The operator as a subprocess against the e2e cluster, and polling helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from e2e.conftest import REPO_ROOT, Cluster

T = TypeVar("T")
AUGUR = str(Path(sys.executable).parent / "augur")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OperatorProcess:
    """One `augur run` process and its log."""

    process: subprocess.Popen[bytes]
    log: Path
    port: int

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_operator(
    cluster: Cluster, log: Path, identity: str, *extra: str, kubeconfig: Path | None = None
) -> OperatorProcess:
    """`augur run` against the cluster, logging in with its kubeconfig (or `kubeconfig`)."""
    port = free_port()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [
                AUGUR,
                "run",
                "--kubeconfig",
                str(kubeconfig or cluster.kubeconfig),
                "--namespace-mode",
                "all",
                "--listen",
                f"127.0.0.1:{port}",
                "--identity",
                identity,
                "--drift-interval",
                "5",
                "--kpi-interval",
                "15",
                *extra,
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return OperatorProcess(process, log, port)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 180) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def get(cluster: Cluster, *args: str) -> dict[str, Any] | None:
    result = cluster.kubectl("get", *args, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


@pytest.fixture(scope="module", name="operator")
def operator_fixture(
    crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """One operator for the module's tests."""
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    proc = start_operator(crds_installed, log, "e2e-main")
    yield proc
    proc.stop()


def platform_stack(namespace: str, *spec_lines: str) -> str:
    """The stack `platform` in `namespace`: Alertmanager's default receiver a webhook, and
    `spec_lines` (one `field: value` each, flow style) added to its spec."""
    more = "".join(f"  {line}\n" for line in spec_lines)
    return f"""
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: platform, namespace: {namespace}}}
spec:
{more}  alertmanager:
    defaultReceiver: {{name: default, webhook: {{url: "http://sink.example:8080/"}}}}
"""


def promoperator_stack(namespace: str, tenant: str) -> str:
    """A stack in `namespace` loading prometheus-operator's objects of its own namespace and
    `tenant`'s, under tenancy by `namespace` (Grafana and Jaeger off)."""
    return platform_stack(
        namespace,
        f"namespaceSelector: {{matchNames: [{namespace}, {tenant}]}}",
        "tenancy: {enforceNamespaceLabel: namespace}",
        "prometheusOperatorObjects: {enabled: true}",
        "grafana: {enabled: false}",
        "jaeger: {enabled: false}",
    )

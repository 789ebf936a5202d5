"""node-exporter of the pinned version, run on this machine with the arguments augur renders
(the host paths as the DaemonSet mounts them, mapped back to the host's own): it accepts
them, exposes every node_* series augur's cluster rules and dashboards read, and the real
Prometheus evaluates the cluster rules on what it exposes without an error."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from augur.api.resources import MonitoringStack
from augur.dev.tools import tool_path
from augur.lifetime import die_with_parent
from augur.render.cluster.component import render_cluster_monitoring
from augur.render.cluster.objects import HOST_ROOT, node_exporter_objects
from augur.render.cluster.rules import (
    FILESYSTEMS,
    NODE_CPU_BUSY,
    NODE_FILESYSTEM_AVAIL,
    NODE_MEMORY_USED,
)
from augur.render.cluster.scrape import NODE_EXPORTER_JOB
from augur.render.selection import StackInputs

pytestmark = pytest.mark.tools

HOST_PATHS = {"/host/proc": "/proc", "/host/sys": "/sys", HOST_ROOT: "/"}


def _stack() -> MonitoringStack:
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": {"clusterMonitoring": {"enabled": True}},
        }
    )


def _on_host(value: str) -> str:
    """A path inside the container as the host has it."""
    for inside in sorted(HOST_PATHS, key=len, reverse=True):
        if value == inside or value.startswith(f"{inside}/"):
            return (HOST_PATHS[inside].rstrip("/") + value[len(inside) :]) or "/"
    return value


def _host_args(port: int) -> list[str]:
    """The container's arguments, its mount paths the host's, listening on loopback."""
    [daemon_set] = [o for o in node_exporter_objects(_stack()) if o["kind"] == "DaemonSet"]
    args: list[str] = daemon_set["spec"]["template"]["spec"]["containers"][0]["args"]
    host = []
    for arg in args:
        name, _, value = arg.partition("=")
        if name == "--web.listen-address":
            value = f"127.0.0.1:{port}"
        host.append(f"{name}={_on_host(value)}")
    return host


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def node_exporter_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def exposition(node_exporter_port: int) -> Iterator[str]:
    """The first /metrics of node_exporter, which keeps running for the module's tests."""
    binary = tool_path("node_exporter")
    port = node_exporter_port
    process = subprocess.Popen(
        [str(binary), *_host_args(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + 30
        text = None
        while text is None:
            if process.poll() is not None:
                assert process.stderr is not None
                pytest.fail(
                    "node_exporter refused its arguments: " + process.stderr.read().decode()
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield text
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _exposed(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}


def _read_by_augur() -> set[str]:
    out = render_cluster_monitoring(StackInputs(_stack()))
    text = "".join(out.rule_files.values())
    text += "".join(json.dumps(board.data) for board in out.dashboards)
    return set(re.findall(r"(?<![:\w])(node_[a-zA-Z_]+)\b(?!:)", text)) - {"node_exporter"}


def test_node_exporter_accepts_the_rendered_arguments(exposition: str) -> None:
    assert "node_exporter_build_info" in exposition
    assert f'version="{tool_path("node_exporter").name.rsplit("-", 1)[1]}"' in exposition


def test_every_node_series_augur_reads_is_exposed(exposition: str) -> None:
    wanted = _read_by_augur()
    assert {"node_cpu_seconds_total", "node_filesystem_avail_bytes", "node_uname_info"} <= wanted
    assert wanted <= _exposed(exposition), sorted(wanted - _exposed(exposition))


def test_container_filesystems_are_left_out(exposition: str) -> None:
    mounts = set(re.findall(r'node_filesystem_size_bytes\{[^}]*mountpoint="([^"]*)"', exposition))
    assert mounts  # the host has filesystems of its own
    assert not {m for m in mounts if m.startswith(("/proc", "/sys", "/var/lib/kubelet/"))}


def test_the_host_path_mapping_is_the_mounts() -> None:
    [daemon_set] = [o for o in node_exporter_objects(_stack()) if o["kind"] == "DaemonSet"]
    pod = daemon_set["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
    assert {mounts[name]: volumes[name] for name in mounts} == HOST_PATHS


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _query(port: int, expr: str) -> list[Any]:
    found: list[Any] = _get(
        f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(expr)}"
    )["data"]["result"]
    return found


def test_the_rules_evaluate_on_real_node_series(
    exposition: str, node_exporter_port: int, tmp_path: Path
) -> None:
    # The real Prometheus scrapes the real node-exporter and evaluates the cluster rule file:
    # every rule evaluates without error, the node recording rules have values, and the
    # filesystem alerts' joins match real series (their thresholds aside).
    out = render_cluster_monitoring(StackInputs(_stack()))
    [rules] = out.rule_files.values()
    (tmp_path / "cluster.yaml").write_text(rules)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["cluster.yaml"],
        "scrape_configs": [
            {
                "job_name": NODE_EXPORTER_JOB,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{node_exporter_port}"],
                        "labels": {"node": "host", "namespace": "monitoring"},
                    }
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    port = _free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        prometheus = subprocess.Popen(
            [
                str(tool_path("prometheus")),
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _query(port, NODE_CPU_BUSY):
                    break
            except OSError:
                pass
            assert prometheus.poll() is None, (tmp_path / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "no value of the CPU recording rule in 60s"
            time.sleep(0.5)
        time.sleep(2)  # one more evaluation of every group
        groups = _get(f"http://127.0.0.1:{port}/api/v1/rules")["data"]["groups"]
        evaluated = [rule for group in groups for rule in group["rules"]]
        assert len(evaluated) == rules.count("- alert:") + rules.count("- record:")
        for rule in evaluated:
            assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
        for record in (NODE_CPU_BUSY, NODE_MEMORY_USED, NODE_FILESYSTEM_AVAIL):
            assert _query(port, record), record
        joins = (
            f"{NODE_FILESYSTEM_AVAIL} >= 0"
            f" and predict_linear(node_filesystem_avail_bytes{{{FILESYSTEMS}}}[6h], 86400) > -1e300"
            f" and node_filesystem_readonly{{{FILESYSTEMS}}} >= 0"
        )
        assert _query(port, joins)
        assert _query(port, f"{NODE_MEMORY_USED} >= 0")
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)

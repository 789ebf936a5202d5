"""node-exporter of the pinned version, run on this machine with the arguments augur renders
(the host paths as the DaemonSet mounts them, mapped back to the host's own): it accepts
them, and exposes every node_* series augur's cluster rules and dashboards read."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from augur.api.resources import MonitoringStack
from augur.dev.tools import tool_path
from augur.lifetime import die_with_parent
from augur.render.cluster.component import render_cluster_monitoring
from augur.render.cluster.objects import HOST_ROOT, node_exporter_objects
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
def exposition() -> Iterator[str]:
    binary = tool_path("node_exporter")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), *_host_args(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                assert process.stderr is not None
                pytest.fail(
                    "node_exporter refused its arguments: " + process.stderr.read().decode()
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    yield r.read().decode()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
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

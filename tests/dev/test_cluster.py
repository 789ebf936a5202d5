"""The control-plane harness without binaries: certificates, objects, state and bad situations."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from augur.dev.certs import make_certificates
from augur.dev.cluster import (
    PROGRAMS,
    ClusterState,
    ControlPlane,
    check_run_dir,
    cluster_objects,
    write_kubeconfig,
)
from augur.dev.processes import ClusterError, free_port, start, stop, wait_until


def test_certificates(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    admin = x509.load_pem_x509_certificate(certs.admin.cert.read_bytes())
    orgs = admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [o.value for o in orgs] == ["system:masters"]
    usage = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    serving = x509.load_pem_x509_certificate(certs.serving.cert.read_bytes())
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    assert certs.admin.key.stat().st_mode & 0o077 == 0, "keys are private"


def test_kubeconfig_points_at_the_server(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "https://127.0.0.1:6443", certs)
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert config["users"][0]["user"]["client-key"] == str(certs.admin.key)


def test_cluster_objects_nodes_for_kwok_and_volumes() -> None:
    docs = list(yaml.safe_load_all(cluster_objects(nodes=3, volumes=5)))
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Node") == 3
    assert kinds.count("PersistentVolume") == 5
    (storage_class,) = [d for d in docs if d["kind"] == "StorageClass"]
    assert storage_class["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }
    node = next(d for d in docs if d["kind"] == "Node")
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"


def test_free_ports_differ() -> None:
    assert len({free_port() for _ in range(5)}) == 5


def test_missing_binaries_named_with_what_to_do(tmp_path: Path) -> None:
    plane = ControlPlane(tmp_path / "run", {"etcd": tmp_path / "etcd"})
    with pytest.raises(ClusterError) as caught:
        plane.start()
    message = str(caught.value)
    assert message.startswith("missing binaries: etcd, kube-apiserver")
    assert "augur dev tools --build" in message


def test_stale_run_folder_is_cleared(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = ClusterState(
        str(tmp_path), str(tmp_path / "kubeconfig"), "https://x", pids={"etcd": dead.pid}
    )
    state.save()
    note = check_run_dir(tmp_path)
    assert note is not None and "killed" in note
    assert not (tmp_path / "state.json").exists()


def test_running_control_plane_is_not_started_twice(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        ClusterState(str(tmp_path), "k", "https://x", pids={"kube-apiserver": sleeper.pid}).save()
        with pytest.raises(
            ClusterError, match=r"already runs from .*stop it with `augur dev cluster down`"
        ):
            check_run_dir(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_process_dying_at_start_reports_its_log(tmp_path: Path) -> None:
    proc = start(
        "broken",
        [sys.executable, "-c", "print('bind: address already in use'); raise SystemExit(1)"],
        tmp_path,
    )
    with pytest.raises(ClusterError) as caught:
        wait_until(lambda: False, proc, "ready", timeout=10)
    assert "broken exited before ready" in str(caught.value)
    assert "address already in use" in str(caught.value)


def test_stop_terminates_process_groups(tmp_path: Path) -> None:
    proc = start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    assert proc.running()
    assert stop({"sleeper": proc.pid}, grace=5) == ["sleeper"]
    assert not proc.running()


def test_stop_reaps_its_own_children_through_popen(tmp_path: Path) -> None:
    # One ignores SIGTERM and is killed after the grace period: its Popen must still learn
    # the exit status, or it warns "still running" when it is collected.
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    procs = [
        start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path),
        start("stubborn", [sys.executable, "-c", stubborn], tmp_path),
    ]
    time.sleep(0.5)  # let the stubborn one install its handler
    children = {p.pid: p.popen for p in procs if p.popen is not None}
    stop({p.name: p.pid for p in procs}, grace=1, children=children)
    assert [p.popen.returncode for p in procs if p.popen is not None] == [
        -signal.SIGTERM,
        -signal.SIGKILL,
    ]


def test_state_round_trips(tmp_path: Path) -> None:
    state = ClusterState(str(tmp_path), "k", "https://x", {"etcd": 1}, {"etcd": 2}, 3.0)
    state.save()
    assert json.loads((tmp_path / "state.json").read_text())["ports"] == {"etcd": 1}
    assert ClusterState.load(tmp_path) == state


def test_every_program_is_a_pinned_tool() -> None:
    from augur.dev.tools import TOOLS

    assert set(PROGRAMS) <= set(TOOLS)

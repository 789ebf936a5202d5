"""A real local Kubernetes control plane with no container runtime: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok, bound to 127.0.0.1 on free ports."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from augur.dev import processes
from augur.dev.certs import ClusterCertificates, make_certificates
from augur.dev.processes import ClusterError, Process, free_port

SERVICE_CIDR = "10.0.0.0/24"
NODE_ANNOTATION = "kwok.x-k8s.io/node"
STORAGE_CLASS = "standard"
START_TIMEOUT = 90.0

PROGRAMS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def default_run_dir(name: str = "default") -> Path:
    """Where `augur dev cluster up` keeps a control plane's state, certificates and logs."""
    from augur.dev.toolcache import cache_dir

    return cache_dir() / "clusters" / name


@dataclass
class ClusterState:
    """What runs, where: written to state.json so `status` and `down` find it."""

    run_dir: str
    kubeconfig: str
    server: str
    ports: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0

    def save(self) -> None:
        """Write state.json."""
        (Path(self.run_dir) / "state.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> ClusterState | None:
        """The state of a control plane started in `run_dir`, if any."""
        path = run_dir / "state.json"
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))

    def running(self) -> dict[str, bool]:
        """Which programs are alive."""
        return {name: processes.alive(pid) for name, pid in self.pids.items()}


Binaries = dict[str, Path]


def check_run_dir(run_dir: Path) -> str | None:
    """Refuse a run folder in use; clear one left by a killed run. Returns a note, if any."""
    state = ClusterState.load(run_dir)
    if state is None:
        return None
    alive = [name for name, up in state.running().items() if up]
    if alive:
        raise ClusterError(
            f"a control plane already runs from {run_dir} ({', '.join(alive)}): "
            "use it, or stop it with `augur dev cluster down`"
        )
    (run_dir / "state.json").unlink()
    return f"cleared the state of a control plane that was killed ({run_dir})"


class ControlPlane:
    """Start and stop one control plane; a context manager that always stops what it started."""

    def __init__(
        self,
        run_dir: Path,
        binaries: Binaries,
        nodes: int = 3,
        volumes: int = 24,
        *,
        die_with_parent: bool = False,
    ) -> None:
        self.run_dir = run_dir
        self.die_with_parent = die_with_parent
        """Whether the programs die with the thread that started them (a test's control plane
        must not outlive a killed test run; `augur dev cluster up`'s outlives the command)."""
        self.binaries = binaries
        self.nodes = nodes
        self.volumes = volumes
        self.procs: dict[str, Process] = {}
        self.args: dict[str, list[str]] = {}
        """The flags each program was started with (to start it again the same way)."""
        self.certs: ClusterCertificates | None = None
        self.state: ClusterState | None = None
        self.notes: list[str] = []

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig."""
        return self.run_dir / "kubeconfig"

    def start(self, progress: Callable[[str], None] | None = None) -> ClusterState:
        """Start everything; return once the API server is ready and the nodes are Ready."""
        say = progress or (lambda _: None)
        missing = [p for p in PROGRAMS if p not in self.binaries or not self.binaries[p].exists()]
        if missing:
            raise ClusterError(
                f"missing binaries: {', '.join(missing)}; build them with "
                f"`augur dev tools --build {' '.join(missing)}`"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        note = check_run_dir(self.run_dir)
        if note:
            self.notes.append(note)
            say(note)
        try:
            return self._start(say)
        except BaseException:
            self.stop()
            raise

    def _start(self, say: Callable[[str], None]) -> ClusterState:
        began = time.monotonic()
        # Every start is a fresh cluster: no objects left over from an earlier run.
        shutil.rmtree(self.run_dir / "etcd", ignore_errors=True)
        certs = make_certificates(self.run_dir / "pki")
        self.certs = certs
        ports = {
            name: free_port()
            for name in (
                "etcd",
                "etcd-peer",
                "apiserver",
                "controller-manager",
                "scheduler",
                "kwok",
            )
        }
        server = f"https://127.0.0.1:{ports['apiserver']}"
        self.state = ClusterState(
            str(self.run_dir), str(self.kubeconfig), server, ports, started_at=time.time()
        )
        say(f"etcd on 127.0.0.1:{ports['etcd']}")
        self._launch("etcd", self._etcd_args(ports))
        processes.wait_until(
            lambda: _http_ok(f"http://127.0.0.1:{ports['etcd']}/health"),
            self.procs["etcd"],
            "healthy",
            START_TIMEOUT,
        )
        say(f"kube-apiserver on {server}")
        self._launch("kube-apiserver", self._apiserver_args(ports, certs))
        write_kubeconfig(self.kubeconfig, server, certs)
        processes.wait_until(
            lambda: _apiserver_ready(server, certs),
            self.procs["kube-apiserver"],
            "ready",
            START_TIMEOUT,
        )
        say("kube-controller-manager, kube-scheduler and kwok")
        self._launch("kube-controller-manager", self._controller_manager_args(ports, certs))
        self._launch("kube-scheduler", self._scheduler_args(ports))
        self._launch("kwok", self._kwok_args(ports))
        say(f"{self.nodes} nodes, a default StorageClass and {self.volumes} PersistentVolumes")
        kubectl(
            self.kubeconfig, "apply", "-f", "-", stdin=cluster_objects(self.nodes, self.volumes)
        )
        processes.wait_until(
            lambda: nodes_ready(self.kubeconfig, self.nodes),
            self.procs["kwok"],
            "Ready (nodes)",
            START_TIMEOUT,
        )
        processes.wait_until(
            lambda: _has_default_sa(self.kubeconfig),
            self.procs["kube-controller-manager"],
            "ready (default ServiceAccount)",
            START_TIMEOUT,
        )
        self.state.save()
        say(f"ready in {time.monotonic() - began:.1f}s")
        return self.state

    def restart(self, name: str) -> None:
        """Stop one program (SIGTERM) and start it again with the same flags and ports; for
        the API server, return once it is ready again. Clients see the program go away and
        come back, as in an upgrade or a crash."""
        proc = self.procs.get(name)
        if proc is None or self.state is None:
            raise ClusterError(f"{name} is not running")
        children = {proc.pid: proc.popen} if proc.popen is not None else {}
        processes.stop({name: proc.pid}, children=children)
        self._launch(name, self.args[name])
        if name == "kube-apiserver":
            certs, server = self.certs, self.state.server
            assert certs is not None
            processes.wait_until(
                lambda: _apiserver_ready(server, certs), self.procs[name], "ready", START_TIMEOUT
            )

    def _launch(self, name: str, args: list[str]) -> None:
        self.args[name] = list(args)
        proc = processes.start(
            name,
            [str(self.binaries[name]), *args],
            self.run_dir / "logs",
            die_with_parent=self.die_with_parent,
        )
        self.procs[name] = proc
        assert self.state is not None
        self.state.pids[name] = proc.pid
        self.state.save()

    def stop(self) -> list[str]:
        """Stop every program this object started (latest first)."""
        procs = list(reversed(list(self.procs.values())))
        pids = {proc.name: proc.pid for proc in procs}
        children = {proc.pid: proc.popen for proc in procs if proc.popen is not None}
        stopped = processes.stop(pids, children=children)
        self.procs.clear()
        state_file = self.run_dir / "state.json"
        if state_file.exists():
            state_file.unlink()
        return stopped

    def _etcd_args(self, ports: dict[str, int]) -> list[str]:
        client = f"http://127.0.0.1:{ports['etcd']}"
        peer = f"http://127.0.0.1:{ports['etcd-peer']}"
        return [
            "--name=augur",
            f"--data-dir={self.run_dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=augur={peer}",
            "--unsafe-no-fsync",
            "--log-level=warn",
            "--quota-backend-bytes=4294967296",
        ]

    def _apiserver_args(self, ports: dict[str, int], certs: ClusterCertificates) -> list[str]:
        return [
            f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports['apiserver']}",
            f"--tls-cert-file={certs.serving.cert}",
            f"--tls-private-key-file={certs.serving.key}",
            f"--client-ca-file={certs.client_ca.cert}",
            f"--service-account-key-file={certs.service_account_pub}",
            f"--service-account-signing-key-file={certs.service_account_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            f"--cert-dir={self.run_dir / 'pki'}",
            "--disable-admission-plugins=",
            "--profiling=false",
        ]

    def _controller_manager_args(
        self, ports: dict[str, int], certs: ClusterCertificates
    ) -> list[str]:
        return [
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['controller-manager']}",
            f"--service-account-private-key-file={certs.service_account_key}",
            f"--root-ca-file={certs.serving_ca.cert}",
            "--use-service-account-credentials=true",
            "--leader-elect=false",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller",
            "--concurrent-gc-syncs=5",
            # kwok's heartbeats can lag on a busy two-core machine; a node briefly marked
            # unreachable would taint it and mark its pods NotReady.
            "--node-monitor-grace-period=10m",
            "--node-startup-grace-period=10m",
        ]

    def _scheduler_args(self, ports: dict[str, int]) -> list[str]:
        return [
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['scheduler']}",
            "--leader-elect=false",
        ]

    def _kwok_args(self, ports: dict[str, int]) -> list[str]:
        return [
            f"--kubeconfig={self.kubeconfig}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={NODE_ANNOTATION}=fake",
            "--node-ip=127.0.0.1",
            f"--server-address=127.0.0.1:{ports['kwok']}",
            "--cidr=10.244.0.0/16",
        ]


def write_kubeconfig(path: Path, server: str, certs: ClusterCertificates) -> None:
    """An admin kubeconfig for kubectl and the operator."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "augur-dev",
                "cluster": {"server": server, "certificate-authority": str(certs.serving_ca.cert)},
            }
        ],
        "users": [
            {
                "name": "augur-admin",
                "user": {
                    "client-certificate": str(certs.admin.cert),
                    "client-key": str(certs.admin.key),
                },
            }
        ],
        "contexts": [
            {"name": "augur-dev", "context": {"cluster": "augur-dev", "user": "augur-admin"}}
        ],
        "current-context": "augur-dev",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


def cluster_objects(nodes: int, volumes: int) -> str:
    """Nodes for kwok, a default StorageClass and PersistentVolumes for it, as YAML."""
    docs: list[dict[str, object]] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "Immediate",
            "reclaimPolicy": "Retain",
        }
    ]
    for i in range(nodes):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": f"kwok-node-{i}",
                    "annotations": {NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": f"kwok-node-{i}",
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "type": "kwok",
                    },
                },
                "status": {
                    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                },
            }
        )
    for i in range(volumes):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {
                    "name": f"augur-dev-pv-{i:03d}",
                    "labels": {"augur.dev/dev-volume": "true"},
                },
                "spec": {
                    "capacity": {"storage": "500Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": STORAGE_CLASS,
                    "hostPath": {"path": f"/tmp/augur-dev-pv-{i:03d}"},
                },
            }
        )
    return yaml.safe_dump_all(docs, sort_keys=False)


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """Run kubectl against the control plane; raise ClusterError with its message on failure."""
    result = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def nodes_ready(kubeconfig: Path, count: int) -> bool:
    """True when `count` nodes report Ready."""
    items = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json"))["items"]
    ready = [
        n
        for n in items
        for c in n["status"].get("conditions", [])
        if c["type"] == "Ready" and c["status"] == "True"
    ]
    return len(ready) >= count


def _has_default_sa(kubeconfig: Path) -> bool:
    return bool(
        kubectl(
            kubeconfig,
            "get",
            "serviceaccount",
            "default",
            "-n",
            "default",
            "-o",
            "name",
            check=False,
        ).strip()
    )


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.status == 200)


def _apiserver_ready(server: str, certs: ClusterCertificates) -> bool:
    context = ssl.create_default_context(cafile=str(certs.serving_ca.cert))
    context.load_cert_chain(str(certs.admin.cert), str(certs.admin.key))
    with urllib.request.urlopen(f"{server}/readyz", timeout=2, context=context) as response:
        return bool(response.status == 200)

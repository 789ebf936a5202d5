"""Each MonitoringStack's Prometheus and Alertmanager, run for real as host processes.

The local control plane runs no containers, so `augur dev up` and the e2e tests run the
pinned `prometheus` and `alertmanager` binaries on the host, fed with what the operator
wrote into the API server: the StatefulSets' arguments and environment, `prometheus.yml`
from its ConfigMap, every rule shard ConfigMap, the Alertmanager configuration from its
Secret, the credentials Secrets' keys as files. `augur.dev.livestack_config` says exactly
what is rewritten for a host process (mount paths, listen addresses, gossip, Kubernetes
discovery of pods that do not run).

The runner follows changes as the pods would: it polls the API server (every second by
default), rewrites files when the objects change (Prometheus re-reads them itself: it runs
with the `auto-reload-config` flags the stack renders), POSTs Alertmanager's `/-/reload`
when its configuration or credentials change (as the reloader sidecar does), and restarts a
program when its StatefulSet's pod template changes (as a rollout would). Every program
binds to 127.0.0.1 on a free port, lives in its own process group, and is killed when the
runner stops or its parent dies. One replica of each runs, whatever `replicas` says.

Beyond what the pods would do, a runner can be given: static scrape jobs of the host (a load
exporter) added to every stack's Prometheus; history to write into a stack's Prometheus data
folder before it first starts (`backfill`: OpenMetrics text made into blocks by promtool, as
if Prometheus had been scraping for that long); and a file where it keeps every stack's
Prometheus URL (`NAMESPACE/STACK=URL` lines), which an operator started with
`--prometheus-url-file` re-reads, so stacks created later are read too.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augur.dev import processes
from augur.dev.livestack_config import (
    EnvsubstError,
    HostPod,
    alertmanager_config,
    flag_value,
    host_args,
    host_url,
    prometheus_config,
    volume_files,
)
from augur.dev.processes import Process, free_port
from augur.dev.tools import cached_tool_path
from augur.kube.client import KubeClient
from augur.kube.credentials import load_credentials
from augur.kube.errors import KubeError

PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
RELOADER = "config-reloader"
COMPONENTS = (PROMETHEUS, ALERTMANAGER)
RESTART_DELAY = 5.0

Obj = dict[str, Any]
Files = dict[str, dict[str, bytes]]
"""volume name -> file name -> content."""


@dataclass(frozen=True)
class StackURLs:
    """Where a stack's programs listen."""

    prometheus: str
    alertmanager: str


@dataclass
class Component:
    """One StatefulSet of a stack, run as one host process."""

    name: str
    port: int
    process: Process | None = None
    spec: tuple[Any, ...] | None = None
    started: float = 0.0
    loaded: str = ""
    """Alertmanager: digest of the configuration and credentials it last (re)loaded."""
    waiting: str = ""


@dataclass
class LiveStack:
    """The programs of one MonitoringStack."""

    namespace: str
    name: str
    root: Path
    components: dict[str, Component] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    """OpenMetrics texts to write as blocks before Prometheus first starts (see `backfill`)."""
    started_once: bool = False

    @property
    def urls(self) -> StackURLs:
        """Where Prometheus and Alertmanager listen (known before they start)."""
        return StackURLs(
            f"http://127.0.0.1:{self.components[PROMETHEUS].port}",
            f"http://127.0.0.1:{self.components[ALERTMANAGER].port}",
        )


class LiveStacks:
    """Runs every MonitoringStack's Prometheus and Alertmanager until stopped.

    A context manager; `urls()` reserves a stack's ports before the stack exists, so the
    operator can be started with `--prometheus-url` pointing at it."""

    def __init__(
        self,
        kubeconfig: Path,
        run_dir: Path,
        *,
        interval: float = 1.0,
        say: Callable[[str], None] | None = None,
        extra_jobs: Sequence[Obj] = (),
        url_file: Path | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.run_dir = run_dir
        self.interval = interval
        self.say = say or (lambda _: None)
        self.extra_jobs = [dict(job) for job in extra_jobs]
        self.url_file = url_file
        self.stacks: dict[tuple[str, str], LiveStack] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._kube: KubeClient | None = None
        self._said: set[str] = set()

    def __enter__(self) -> LiveStacks:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start following the API server in a background thread."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._kube = KubeClient(load_credentials(str(self.kubeconfig)))
        self._thread = threading.Thread(target=self._run, name="augur-livestack", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every program and the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self._kube is not None:
            self._kube.close()

    def urls(self, namespace: str, name: str) -> StackURLs:
        """Where the stack's programs listen (or will), reserving its ports."""
        return self._stack(namespace, name).urls

    def pid(self, namespace: str, name: str, component: str) -> int | None:
        """The process id of a running component, if it runs."""
        with self._lock:
            stack = self.stacks.get((namespace, name))
            proc = stack.components[component].process if stack else None
        return proc.pid if proc is not None and proc.running() else None

    def backfill(self, namespace: str, name: str, openmetrics: str) -> None:
        """Write `openmetrics` (OpenMetrics text whose samples carry timestamps, ending in
        `# EOF`) into the stack's Prometheus data folder as blocks
        (`promtool tsdb create-blocks-from openmetrics`) before that Prometheus first starts.

        Raises RuntimeError when it has started already (blocks are read at start)."""
        stack = self._stack(namespace, name)
        with self._lock:
            if stack.started_once:
                raise RuntimeError(f"{namespace}/{name}: Prometheus has started; backfill before")
            stack.history.append(openmetrics)

    def ready(self, namespace: str, name: str) -> bool:
        """True when both programs of the stack answer `/-/ready`."""
        urls = self.urls(namespace, name)
        return all(_http_ok(f"{url}/-/ready") for url in (urls.prometheus, urls.alertmanager))

    def _stack(self, namespace: str, name: str) -> LiveStack:
        with self._lock:
            stack = self.stacks.get((namespace, name))
            if stack is None:
                stack = LiveStack(namespace, name, self.run_dir / namespace / name)
                for component in COMPONENTS:
                    stack.components[component] = Component(component, free_port())
                self.stacks[(namespace, name)] = stack
                self._write_urls()
            return stack

    def _write_urls(self) -> None:
        """Every stack's Prometheus URL into `url_file` (atomically); caller holds the lock."""
        if self.url_file is None:
            return
        lines = [
            f"{namespace}/{name}={stack.urls.prometheus}\n"
            for (namespace, name), stack in sorted(self.stacks.items())
        ]
        self.url_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.url_file.with_name(f".{self.url_file.name}.tmp")
        temporary.write_text("".join(lines))
        temporary.replace(self.url_file)

    def _once(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.say(message)

    # -- the loop (the thread that starts programs: they die with it) ---------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._poll()
                except KubeError as error:
                    self._once(f"live stack: cannot read the API server: {error}")
                except Exception as error:  # keep the stack running; say what went wrong
                    self.say(f"live stack: {type(error).__name__}: {error}")
                self._stop.wait(self.interval)
        finally:
            self._stop_all()

    def _stop_all(self) -> None:
        with self._lock:
            stacks = list(self.stacks.values())
        for stack in stacks:
            for component in stack.components.values():
                _stop(component)

    def _poll(self) -> None:
        assert self._kube is not None
        found = self._kube.list_objects("augur.dev/v1alpha1", "MonitoringStack")
        seen = set()
        for obj in found:
            meta = obj["metadata"]
            key = (str(meta["namespace"]), str(meta["name"]))
            seen.add(key)
            self._sync(self._stack(*key))
        with self._lock:
            gone = [s for k, s in self.stacks.items() if k not in seen]
        for stack in gone:
            for component in stack.components.values():
                if component.process is not None:
                    self.say(f"{stack.namespace}/{stack.name}: the stack is gone; stopping")
                _stop(component)

    def _binaries(self) -> dict[str, Path] | None:
        paths = {name: cached_tool_path(name) for name in COMPONENTS}
        missing = [name for name, path in paths.items() if path is None]
        if missing:
            self._once(f"live stack: waiting for {', '.join(missing)} to be built")
            return None
        return {name: path for name, path in paths.items() if path is not None}

    def _sync(self, stack: LiveStack) -> None:
        assert self._kube is not None
        namespace, name = stack.namespace, stack.name
        selector = f"app.kubernetes.io/instance={name},app.kubernetes.io/managed-by=augur"
        sets = {
            str(s["metadata"].get("labels", {}).get("app.kubernetes.io/name")): s
            for s in self._kube.list_objects(
                "apps/v1", "StatefulSet", namespace=namespace, label_selector=selector
            )
            if s["spec"].get("replicas", 1) != 0
        }
        pods: dict[str, HostPod] = {}
        for component in COMPONENTS:
            sts = sets.get(component)
            if sts is None:
                _stop(stack.components[component])
                continue
            pod = HostPod.of(sts, str(stack.root / component), {})
            web = pod.web_port(component)
            ports = {(component, web): stack.components[component].port} if web else {}
            pods[component] = HostPod.of(sts, pod.root, ports)
        if not pods:
            return
        objects: dict[tuple[str, str], Obj] = {}
        for kind in ("ConfigMap", "Secret"):
            for obj in self._kube.list_objects("v1", kind, namespace=namespace):
                objects[(kind, str(obj["metadata"]["name"]))] = obj
        binaries = self._binaries()
        discoverable = [labels for pod in pods.values() for labels in pod.discoverable()]
        for component, pod in pods.items():
            files = self._files(stack, pod, component, objects, discoverable)
            if files is None:
                continue
            _write_pod(pod, files, (component, RELOADER))
            if binaries is not None:
                self._run_component(stack, stack.components[component], pod, binaries, files)

    def _files(
        self,
        stack: LiveStack,
        pod: HostPod,
        component: str,
        objects: dict[tuple[str, str], Obj],
        discoverable: list[Obj],
    ) -> Files | None:
        """Every volume's files for the pod, rewritten for the host; None until it can start."""
        state = stack.components[component]
        files: Files = {}
        for volume_name, volume in pod.volumes().items():
            content = volume_files(volume, objects)
            if content is None:
                self._waiting(stack, state, f"waits for the object of volume {volume_name}")
                return None
            files[volume_name] = content
        try:
            if component == PROMETHEUS:
                self._prometheus_files(stack, pod, files, discoverable)
            elif pod.container(RELOADER) is not None:
                self._reloader_files(pod, files)
        except (EnvsubstError, ValueError) as error:
            self._waiting(stack, state, f"has an unusable configuration: {error}")
            return None
        state.waiting = ""
        return files

    def _waiting(self, stack: LiveStack, state: Component, why: str) -> None:
        if state.waiting != why:
            state.waiting = why
            self.say(f"{stack.namespace}/{stack.name}: {state.name} {why}")

    def _prometheus_files(
        self, stack: LiveStack, pod: HostPod, files: Files, discoverable: list[Obj]
    ) -> None:
        for path in flag_value(pod.args(PROMETHEUS), "--config.file"):
            place = pod.locate(PROMETHEUS, path)
            if place is None or place[1] not in files.get(place[0], {}):
                raise ValueError(f"{path} is in no volume")
            volume, key = place
            rewritten = prometheus_config(
                pod, PROMETHEUS, files[volume][key].decode(), discoverable, self.extra_jobs
            )
            for note in rewritten.notes:
                self._once(f"{stack.namespace}/{stack.name}: prometheus.yml {note}")
            files[volume][key] = rewritten.text.encode()

    def _reloader_files(self, pod: HostPod, files: Files) -> None:
        """What the reloader sidecar writes: the decompressed, substituted configuration."""
        args = pod.args(RELOADER)
        for source, target in zip(
            flag_value(args, "--config-file"),
            flag_value(args, "--config-envsubst-file"),
            strict=False,
        ):
            place, out = pod.locate(RELOADER, source), pod.locate(RELOADER, target)
            if place is None or out is None or place[1] not in files.get(place[0], {}):
                raise ValueError(f"{source} is in no volume")
            raw = files[place[0]][place[1]]
            text = alertmanager_config(pod, RELOADER, ALERTMANAGER, raw, source.endswith(".gz"))
            files.setdefault(out[0], {})[out[1]] = text.encode()

    def _run_component(
        self,
        stack: LiveStack,
        state: Component,
        pod: HostPod,
        binaries: dict[str, Path],
        files: Files,
    ) -> None:
        args = host_args(pod, state.name, state.port)
        env = pod.env(state.name)
        spec = (str(binaries[state.name]), tuple(args), tuple(sorted(env.items())))
        digest = _digest(pod, files) if state.name == ALERTMANAGER else ""
        where = f"{stack.namespace}/{stack.name}"
        running = state.process is not None and state.process.running()
        if running and spec == state.spec:
            if digest != state.loaded and self._reload(pod):
                state.loaded = digest
                self.say(f"{where}: alertmanager reloaded its configuration")
            return
        if state.process is not None and not running:
            self.say(f"{where}: {state.process.failure('exited')}")
            if time.monotonic() - state.started < RESTART_DELAY:
                return
        if running:
            self.say(f"{where}: {state.name}'s pod template changed; restarting it")
        _stop(state)
        logs = stack.root / "logs"
        if state.name == PROMETHEUS and not self._write_history(stack, args, logs):
            return
        state.process = processes.start(
            state.name, [spec[0], *args], logs, env, die_with_parent=True
        )
        state.spec, state.started, state.loaded = spec, time.monotonic(), digest
        self.say(f"{where}: {state.name} on http://127.0.0.1:{state.port} (log {logs})")

    def _write_history(self, stack: LiveStack, args: list[str], logs: Path) -> bool:
        """Make the stack's pending history into blocks in Prometheus' data folder; False
        while that cannot be done yet (Prometheus must then not start)."""
        with self._lock:
            stack.started_once = True
            history, stack.history = stack.history, []
        if not history:
            return True
        where = f"{stack.namespace}/{stack.name}"
        promtool = cached_tool_path("promtool")
        data = flag_value(args, "--storage.tsdb.path")
        if promtool is None or not data:
            with self._lock:
                stack.history, stack.started_once = history, False
            self._once(f"{where}: history waits for promtool and a --storage.tsdb.path")
            return False
        Path(data[-1]).mkdir(parents=True, exist_ok=True)
        for index, text in enumerate(history):
            source = logs / f"history-{index}.om"
            logs.mkdir(parents=True, exist_ok=True)
            source.write_text(text)
            with (logs / "promtool-backfill.log").open("ab") as out:
                done = subprocess.run(
                    [
                        str(promtool),
                        "tsdb",
                        "create-blocks-from",
                        "openmetrics",
                        str(source),
                        data[-1],
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=600,
                    check=False,
                )
            source.unlink()
            if done.returncode != 0:
                self.say(f"{where}: promtool could not write the history (log {logs})")
            else:
                self.say(f"{where}: history written into Prometheus' data folder")
        return True

    def _reload(self, pod: HostPod) -> bool:
        """POST the reload URLs of the reloader sidecar; True when every one answered 200."""
        urls = flag_value(pod.args(RELOADER), "--reload-url")
        request = [urllib.request.Request(host_url(pod, RELOADER, u), method="POST") for u in urls]
        try:
            return all(_status(r) == 200 for r in request)
        except OSError:
            return False


def _digest(pod: HostPod, files: Files) -> str:
    """Digest of what the reloader watches: its output file and its watched folders."""
    args = pod.args(RELOADER)
    wanted = [pod.locate(RELOADER, p) for p in flag_value(args, "--config-envsubst-file")]
    wanted += [pod.locate(RELOADER, p.rstrip("/") + "/") for p in flag_value(args, "--watched-dir")]
    digest = hashlib.sha256()
    for place in wanted:
        if place is None:
            continue
        volume, key = place
        for name, content in sorted(files.get(volume, {}).items()):
            if not key or name == key:
                digest.update(f"{volume}/{name}\0".encode() + content + b"\0")
    return digest.hexdigest()


def _write_pod(pod: HostPod, files: Files, containers: tuple[str, ...]) -> None:
    """Lay the pod out on the host: volume folders with their files, and each container's view."""
    sources = pod.volumes()
    for volume_name, content in files.items():
        folder = Path(pod.volume_dir(volume_name))
        folder.mkdir(parents=True, exist_ok=True)
        exact = "configMap" in sources[volume_name] or "secret" in sources[volume_name]
        _sync_folder(folder, content, remove_others=exact)
    for container in containers:
        for link, target in pod.links(container).items():
            path = Path(link)
            path.parent.mkdir(parents=True, exist_ok=True)
            Path(target).mkdir(parents=True, exist_ok=True)
            if path.is_symlink() and os.readlink(path) == target:
                continue
            if path.is_symlink():
                path.unlink()
            path.symlink_to(target, target_is_directory=True)


def _sync_folder(folder: Path, content: dict[str, bytes], *, remove_others: bool) -> None:
    """Write changed files atomically (a file Prometheus globs is never seen half-written)."""
    for name, data in content.items():
        path = folder / name
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    if remove_others:
        for path in folder.iterdir():
            if path.is_file() and path.name not in content:
                path.unlink()


def _stop(state: Component) -> None:
    if state.process is not None:
        proc = state.process
        children = {proc.pid: proc.popen} if proc.popen is not None else {}
        processes.stop({proc.name: proc.pid}, children=children)
    state.process, state.spec = None, None


def _status(request: urllib.request.Request) -> int:
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def _http_ok(url: str) -> bool:
    try:
        return _status(urllib.request.Request(url)) == 200
    except OSError:
        return False

"""What a stack's pods would see, made usable by host processes (pure: no I/O).

The live-stack runner (`augur.dev.livestack`) runs a stack's Prometheus and Alertmanager as
host processes from the objects the operator wrote. This module computes, from a StatefulSet
and the ConfigMaps/Secrets its volumes name, exactly what changes for a host process:

- **Mount paths → local folders.** Each pod gets a folder; every volume a folder in it, and each
  container a tree that mirrors its mount paths with symbolic links to those volume folders, so
  relative paths (`rule_files: ../rules/shard-0/*.yaml`) resolve as in the pod. Absolute paths
  under a mount path — in container arguments, environment values, `prometheus.yml` and the
  Alertmanager configuration (`*_file` fields, `scrape_config_files`) — are rewritten into
  that tree. Nothing else in those files changes.
- **Ports.** `--web.listen-address` becomes `127.0.0.1:<free port>`; `--web.external-url`
  keeps its path on that address. Alertmanager gossip is off (`--cluster.listen-address=`,
  no `--cluster.peer`/`--cluster.advertise-address`): the runner runs one replica.
- **The downward API.** `metadata.name` is the StatefulSet's first pod (`<name>-0`),
  `metadata.namespace` the stack's, `status.podIP`/`status.hostIP` 127.0.0.1; `$(VAR)` in
  arguments is expanded from the container's environment as the kubelet does.
- **Kubernetes service discovery** (`kubernetes_sd_configs`, in scrape jobs and in
  `alerting.alertmanagers`): only the pods the runner really runs can be discovered. The
  job's own relabelling is applied to the meta labels those pods would have (role `pod`:
  labels, container ports, phase Running); surviving targets become a `static_configs`
  entry with the resulting labels and the relabelling is removed (it has been applied). A
  job or Alertmanager entry left with no target is dropped: the pods it discovers (the
  config reloader's metrics, Jaeger, the operator, every `scrape` entry of role pod,
  service or endpoints) do not run on the host. Static scrape jobs, remote write and
  `additionalScrapeConfigs` files are kept as written.
- **Host jobs.** The runner may add static scrape jobs of its own (`augur dev up` adds one
  for its load exporter): appended to `scrape_configs`, never replacing a job of the stack.
- **The config reloader sidecar.** The Alertmanager configuration is decompressed (gzip)
  from its Secret and `$(VAR)` is replaced from the sidecar's environment, refusing unset
  names, as prometheus-config-reloader does.
"""

from __future__ import annotations

import gzip
import re
from base64 import b64decode
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from augur.dev.relabel import UnsupportedRelabel, relabel

Obj = dict[str, Any]

LOOPBACK = "127.0.0.1"
_META = "__meta_kubernetes_"
_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_DROPPED_FLAGS = ("--cluster.peer", "--cluster.advertise-address")


class EnvsubstError(ValueError):
    """A configuration names an environment variable that is not set."""


def _meta_name(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", key)


@dataclass(frozen=True)
class Mount:
    """One volume mount of a container."""

    path: str
    volume: str
    sub_path: str = ""


@dataclass(frozen=True)
class HostPod:
    """The first pod of a StatefulSet, as the runner lays it out under `root`.

    `ports` maps (container, containerPort) to the host port the runner serves it on; only
    those ports are reachable (and discoverable)."""

    namespace: str
    name: str
    root: str
    template: Obj
    controller: str
    ports: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def of(cls, statefulset: Obj, root: str, ports: dict[tuple[str, int], int]) -> HostPod:
        """The pod `<statefulset>-0` laid out under `root`."""
        meta = statefulset["metadata"]
        return cls(
            namespace=str(meta["namespace"]),
            name=f"{meta['name']}-0",
            root=root,
            template=statefulset["spec"]["template"],
            controller=str(meta["name"]),
            ports=dict(ports),
        )

    @property
    def spec(self) -> Obj:
        spec: Obj = self.template.get("spec") or {}
        return spec

    def container(self, name: str) -> Obj | None:
        """The container (or init container) called `name`."""
        for container in [*self.spec.get("containers", []), *self.spec.get("initContainers", [])]:
            if container.get("name") == name:
                return dict(container)
        return None

    def volumes(self) -> dict[str, Obj]:
        """The pod's volumes by name."""
        return {str(v["name"]): v for v in self.spec.get("volumes") or []}

    def mounts(self, container: str) -> list[Mount]:
        """The mounts of `container`, longest path first (the one a path resolves through)."""
        found = [
            Mount(str(m["mountPath"]).rstrip("/") or "/", str(m["name"]), m.get("subPath", ""))
            for m in (self.container(container) or {}).get("volumeMounts") or []
        ]
        return sorted(found, key=lambda m: len(m.path), reverse=True)

    def volume_dir(self, volume: str) -> str:
        """The host folder holding a volume's files."""
        return f"{self.root}/volumes/{volume}"

    def view_dir(self, container: str) -> str:
        """The host folder mirroring the container's file system (its mounts only)."""
        return f"{self.root}/fs/{container}"

    def links(self, container: str) -> dict[str, str]:
        """Symbolic links making up a container's view: host link path -> host target."""
        view = self.view_dir(container)
        result = {}
        for mount in self.mounts(container):
            target = self.volume_dir(mount.volume)
            if mount.sub_path:
                target = f"{target}/{mount.sub_path}"
            result[view + mount.path] = target
        return result

    def host_path(self, container: str, path: str) -> str | None:
        """Where the container's absolute `path` is on the host, if it lies under a mount."""
        for mount in self.mounts(container):
            if path == mount.path or path.startswith(mount.path.rstrip("/") + "/"):
                return self.view_dir(container) + path
        return None

    def locate(self, container: str, path: str) -> tuple[str, str] | None:
        """(volume, file name inside it) of a container path, if it lies under a mount."""
        for mount in self.mounts(container):
            prefix = mount.path.rstrip("/") + "/"
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if mount.sub_path:
                    rest = f"{mount.sub_path}/{rest}"
                return mount.volume, rest
        return None

    def args(self, container: str) -> list[str]:
        """The container's arguments as the kubelet passes them (`$(VAR)` expanded), with
        container paths: what the program inside the pod would be given."""
        spec = self.container(container) or {}
        env = self.env(container, host_paths=False)
        return [
            expand_vars(str(a), env) for a in [*spec.get("command", [])[1:], *spec.get("args", [])]
        ]

    def web_port(self, container: str) -> int | None:
        """The containerPort named `web` of `container`."""
        for port in (self.container(container) or {}).get("ports") or []:
            if port.get("name") == "web":
                return int(port["containerPort"])
        return None

    def env(self, container: str, *, host_paths: bool = True) -> dict[str, str]:
        """The container's environment as the kubelet would set it (downward API resolved)."""
        fields = {
            "metadata.name": self.name,
            "metadata.namespace": self.namespace,
            "status.podIP": LOOPBACK,
            "status.hostIP": LOOPBACK,
            "spec.nodeName": "localhost",
        }
        result: dict[str, str] = {}
        for item in (self.container(container) or {}).get("env") or []:
            source = item.get("valueFrom") or {}
            if "value" in item:
                value = expand_vars(str(item["value"]), result)
                mapped = self.host_path(container, value) if host_paths else None
                result[item["name"]] = mapped or value
            elif "fieldRef" in source and source["fieldRef"].get("fieldPath") in fields:
                result[item["name"]] = fields[source["fieldRef"]["fieldPath"]]
        return result

    def discoverable(self) -> Iterator[Obj]:
        """Meta labels of every served container port, as Kubernetes pod discovery has them."""
        labels = (self.template.get("metadata") or {}).get("labels") or {}
        annotations = (self.template.get("metadata") or {}).get("annotations") or {}
        common = {
            f"{_META}namespace": self.namespace,
            f"{_META}pod_name": self.name,
            f"{_META}pod_ip": LOOPBACK,
            f"{_META}pod_ready": "true",
            f"{_META}pod_phase": "Running",
            f"{_META}pod_node_name": "localhost",
            f"{_META}pod_host_ip": LOOPBACK,
            f"{_META}pod_controller_kind": "StatefulSet",
            f"{_META}pod_controller_name": self.controller,
        }
        for key, value in labels.items():
            common[f"{_META}pod_label_{_meta_name(key)}"] = str(value)
            common[f"{_META}pod_labelpresent_{_meta_name(key)}"] = "true"
        for key, value in annotations.items():
            common[f"{_META}pod_annotation_{_meta_name(key)}"] = str(value)
            common[f"{_META}pod_annotationpresent_{_meta_name(key)}"] = "true"
        for container in self.spec.get("containers") or []:
            for port in container.get("ports") or []:
                number = int(port["containerPort"])
                host_port = self.ports.get((str(container["name"]), number))
                if host_port is None or port.get("protocol", "TCP") != "TCP":
                    continue
                yield {
                    **common,
                    "__address__": f"{LOOPBACK}:{host_port}",
                    f"{_META}pod_container_name": str(container["name"]),
                    f"{_META}pod_container_image": str(container.get("image", "")),
                    f"{_META}pod_container_init": "false",
                    f"{_META}pod_container_port_name": str(port.get("name", "")),
                    f"{_META}pod_container_port_number": str(number),
                    f"{_META}pod_container_port_protocol": "TCP",
                }


# -- files of volumes -------------------------------------------------------------------------


def volume_files(volume: Obj, objects: dict[tuple[str, str], Obj]) -> dict[str, bytes] | None:
    """The files a configMap/secret volume holds, from `objects` keyed (kind, name); {} for
    other volumes (emptyDir, claims) and for a missing optional object; None when a required
    object is missing (the pod could not start)."""
    if "configMap" in volume:
        source, kind = volume["configMap"], "ConfigMap"
        name = source.get("name", "")
    elif "secret" in volume:
        source, kind = volume["secret"], "Secret"
        name = source.get("secretName", "")
    else:
        return {}
    obj = objects.get((kind, name))
    if obj is None:
        return {} if source.get("optional") else None
    data: dict[str, bytes] = {}
    if kind == "ConfigMap":
        data.update({k: str(v).encode() for k, v in (obj.get("data") or {}).items()})
        data.update({k: b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    else:
        data.update({k: b64decode(v) for k, v in (obj.get("data") or {}).items()})
    items = source.get("items")
    if items:
        return {str(i["path"]): data[i["key"]] for i in items if i["key"] in data}
    return data


# -- arguments --------------------------------------------------------------------------------


def expand_vars(text: str, env: dict[str, str]) -> str:
    """`$(VAR)` replaced from `env` as the kubelet does for args (unknown names stay)."""
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def host_args(pod: HostPod, container: str, listen_port: int) -> list[str]:
    """The container's arguments for a host process (see the module docstring)."""
    result = []
    for arg in pod.args(container):
        flag, eq, value = arg.partition("=")
        if flag in _DROPPED_FLAGS:
            continue
        if not eq:
            result.append(arg)
        elif flag == "--web.listen-address":
            result.append(f"{flag}={LOOPBACK}:{listen_port}")
        elif flag == "--cluster.listen-address":
            result.append(f"{flag}=")
        elif flag == "--web.external-url":
            path = urlsplit(value).path
            result.append(f"{flag}=http://{LOOPBACK}:{listen_port}{path}")
        else:
            result.append(f"{flag}={pod.host_path(container, value) or value}")
    return result


def flag_value(args: list[str], flag: str) -> list[str]:
    """Every value given to `flag` (as `--flag=value`)."""
    return [a.partition("=")[2] for a in args if a.partition("=")[0] == flag]


def host_url(pod: HostPod, container: str, url: str) -> str:
    """A URL to a port of the pod itself (e.g. a reload URL), pointed at the host port."""
    parts = urlsplit(url)
    if parts.hostname not in (LOOPBACK, "localhost") or parts.port is None:
        return url
    for (_, number), host_port in pod.ports.items():
        if number == parts.port:
            return urlunsplit(parts._replace(netloc=f"{LOOPBACK}:{host_port}"))
    return url


# -- configuration files ----------------------------------------------------------------------


def rewrite_paths(value: Any, mapper: Callable[[str], str | None]) -> Any:
    """`value` (parsed YAML) with every string `mapper` maps replaced by its mapping."""
    if isinstance(value, dict):
        return {k: rewrite_paths(v, mapper) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite_paths(v, mapper) for v in value]
    if isinstance(value, str) and value.startswith("/"):
        return mapper(value) or value
    return value


def _dump(config: Obj) -> str:
    return yaml.safe_dump(config, sort_keys=False, width=1_000_000, allow_unicode=True)


def envsubst(text: str, env: dict[str, str]) -> str:
    """prometheus-config-reloader's substitution: `$(NAME)` from `env`; an unset NAME refused."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise EnvsubstError(f"found reference to unset environment variable {name!r}")
        return env[name]

    return _VAR.sub(value, text)


def alertmanager_config(pod: HostPod, reloader: str, server: str, raw: bytes, gz: bool) -> str:
    """What the reloader sidecar writes for Alertmanager (decompressed, `$(VAR)` replaced),
    with the paths Alertmanager (container `server`) reads rewritten to the host."""
    text = (gzip.decompress(raw) if gz else raw).decode()
    text = envsubst(text, pod.env(reloader))
    config = yaml.safe_load(text) or {}
    return _dump(rewrite_paths(config, lambda p: pod.host_path(server, p)))


@dataclass
class Rewritten:
    """A configuration for host processes, and what was changed to get it."""

    text: str
    notes: list[str] = field(default_factory=list)


def prometheus_config(
    pod: HostPod,
    container: str,
    text: str,
    discoverable: list[Obj],
    extra_jobs: Sequence[Obj] = (),
) -> Rewritten:
    """`prometheus.yml` for a host process: paths, and discovery replaced by the targets among
    `discoverable` (meta labels of running pods' ports) that the jobs' relabelling keeps;
    `extra_jobs` (scrape jobs of the host, e.g. a local load exporter) appended unless the
    configuration has a job of the same name."""
    config: Obj = yaml.safe_load(text) or {}
    notes: list[str] = []
    alerting = config.get("alerting") or {}
    managers = []
    for index, entry in enumerate(alerting.get("alertmanagers") or []):
        rewritten = _static_discovery(entry, discoverable, {"__scheme__": "http"})
        if rewritten is None:
            notes.append(f"alertmanagers[{index}]: dropped (discovers no running pod)")
            continue
        if rewritten is not entry:
            notes.append(f"alertmanagers[{index}]: {_targets_note(rewritten)}")
        managers.append(rewritten)
    if "alertmanagers" in alerting:
        alerting["alertmanagers"] = managers
    jobs = []
    for job in config.get("scrape_configs") or []:
        name = str(job.get("job_name"))
        initial = {
            "job": name,
            "__scheme__": str(job.get("scheme", "http")),
            "__metrics_path__": str(job.get("metrics_path", "/metrics")),
        }
        rewritten = _static_discovery(job, discoverable, initial)
        if rewritten is None:
            notes.append(f"job {name}: dropped (discovers no running pod)")
            continue
        if rewritten is not job:
            notes.append(f"job {name}: {_targets_note(rewritten)}")
        jobs.append(rewritten)
    names = {str(job.get("job_name")) for job in jobs}
    for extra in extra_jobs:
        name = str(extra.get("job_name"))
        if name in names:
            notes.append(f"job {name}: the stack has its own; the runner's is not added")
            continue
        jobs.append(dict(extra))
        notes.append(f"job {name}: added by the runner, {_targets_note(extra)}")
    if "scrape_configs" in config or jobs:
        config["scrape_configs"] = jobs
    config = rewrite_paths(config, lambda p: pod.host_path(container, p))
    return Rewritten(_dump(config), notes)


def _targets_note(entry: Obj) -> str:
    targets = [t for group in entry.get("static_configs", []) for t in group["targets"]]
    return "static " + ", ".join(targets)


def _static_discovery(entry: Obj, discoverable: list[Obj], initial: dict[str, str]) -> Obj | None:
    """`entry` with Kubernetes discovery replaced by static targets; the entry itself when it
    has none; None when no running pod survives its relabelling."""
    sd_configs = entry.get("kubernetes_sd_configs")
    if not sd_configs:
        return entry
    groups: list[Obj] = [dict(g) for g in entry.get("static_configs") or []]
    for labels in discoverable:
        if not any(_discovers(sd, labels) for sd in sd_configs):
            continue
        try:
            result = relabel({**initial, **labels}, entry.get("relabel_configs") or [])
        except UnsupportedRelabel:
            continue
        if result is None or not result.get("__address__"):
            continue
        kept = {
            k: v
            for k, v in result.items()
            if not k.startswith(_META) and k != "__address__" and initial.get(k) != v
        }
        group: Obj = {"targets": [result["__address__"]]}
        if kept:
            group["labels"] = kept
        groups.append(group)
    if not groups:
        return None
    rewritten = {
        k: v for k, v in entry.items() if k not in ("kubernetes_sd_configs", "relabel_configs")
    }
    rewritten["static_configs"] = groups
    return rewritten


def _discovers(sd: Obj, labels: Obj) -> bool:
    """Whether a pod-role discovery config would see the pod these labels describe."""
    if sd.get("role") != "pod":
        return False
    names = ((sd.get("namespaces") or {}).get("names")) or []
    return not names or labels[f"{_META}namespace"] in names

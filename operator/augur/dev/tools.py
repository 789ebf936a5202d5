"""The pinned real tools and the API the tests, the e2e harness and `augur dev` use.

    from augur.dev.tools import tool_path, cached_tool_path

    promtool = tool_path("promtool")          # builds it once if missing, else ToolError
    etcd = cached_tool_path("etcd")           # None when not built yet; never builds

Versions come from `augur.versions`, next to the images a stack deploys by default.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augur import versions as v
from augur.dev.builder import Progress, build
from augur.dev.toolcache import (
    BuildFailed,
    NoGoToolchain,
    NotEnoughDisk,
    ProxyUnreachable,
    Tool,
    ToolError,
    cache_dir,
    cached_binary,
    read_record,
)

__all__ = [
    "TOOLS",
    "BuildFailed",
    "NoGoToolchain",
    "NotEnoughDisk",
    "ProxyUnreachable",
    "Tool",
    "ToolError",
    "ToolStatus",
    "cached_tool_path",
    "compatible",
    "find_tool",
    "get_tool",
    "selected_tools",
    "status",
    "tool_path",
]

_PROM_VERSION_PKG = "github.com/prometheus/common/version"


def _prometheus_ldflags(version: str) -> tuple[str, ...]:
    """What Prometheus' own release builds stamp, so `--version` prints the release."""
    return (
        f"{_PROM_VERSION_PKG}.Version={version}",
        f"{_PROM_VERSION_PKG}.Revision={{revision}}",
        f"{_PROM_VERSION_PKG}.Branch=HEAD",
        f"{_PROM_VERSION_PKG}.BuildUser=augur",
        f"{_PROM_VERSION_PKG}.BuildDate={{prom_build_date}}",
    )


def _kubernetes_ldflags(version: str) -> tuple[str, ...]:
    """What Kubernetes' hack/lib/version.sh stamps, so `--version` and `/version` are right."""
    major, minor, _ = version.split(".")
    flags: list[str] = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"{pkg}.gitVersion=v{version}",
            f"{pkg}.gitMajor={major}",
            f"{pkg}.gitMinor={minor}",
            f"{pkg}.gitCommit={{revision}}",
            f"{pkg}.gitTreeState=clean",
            f"{pkg}.buildDate={{build_date}}",
        ]
    return tuple(flags)


def _helm_ldflags(version: str, kubernetes_version: str) -> tuple[str, ...]:
    """What Helm's Makefile stamps, with the Kubernetes version augur's control plane runs:
    unstamped, Helm assumes Kubernetes 1.20 for `.Capabilities` and its deprecation lint."""
    major, minor, _ = kubernetes_version.split(".")
    flags = [
        f"helm.sh/helm/v3/internal/version.version=v{version}",
        "helm.sh/helm/v3/internal/version.gitCommit={revision}",
        "helm.sh/helm/v3/internal/version.gitTreeState=clean",
    ]
    for pkg in ("helm.sh/helm/v3/pkg/chartutil", "helm.sh/helm/v3/pkg/lint/rules"):
        flags += [f"{pkg}.k8sVersionMajor={major}", f"{pkg}.k8sVersionMinor={minor}"]
    return tuple(flags)


def _prometheus_tool(name: str) -> Tool:
    return Tool(
        name=name,
        version=v.PROMETHEUS_VERSION,
        module=v.PROMETHEUS_MODULE,
        module_version=v.PROMETHEUS_MODULE_VERSION,
        package=f"{v.PROMETHEUS_MODULE}/cmd/{name}",
        version_args=("--version",),
        version_text=f"{name}, version {v.PROMETHEUS_VERSION}",
        ldflags=_prometheus_ldflags(v.PROMETHEUS_VERSION),
        wrapper=True,
    )


def _alertmanager_tool(name: str) -> Tool:
    return Tool(
        name=name,
        version=v.ALERTMANAGER_VERSION,
        module=v.ALERTMANAGER_MODULE,
        module_version=v.ALERTMANAGER_MODULE_VERSION,
        package=f"{v.ALERTMANAGER_MODULE}/cmd/{name}",
        version_args=("--version",),
        version_text=f"{name}, version {v.ALERTMANAGER_VERSION}",
        ldflags=_prometheus_ldflags(v.ALERTMANAGER_VERSION),
    )


def _kubernetes_tool(name: str) -> Tool:
    return Tool(
        name=name,
        version=v.KUBERNETES_VERSION,
        module=v.KUBERNETES_MODULE,
        module_version=v.KUBERNETES_MODULE_VERSION,
        package=f"{v.KUBERNETES_MODULE}/cmd/{name}",
        version_args=("--version",),
        version_text=f"Kubernetes v{v.KUBERNETES_VERSION}",
        ldflags=_kubernetes_ldflags(v.KUBERNETES_VERSION),
        wrapper=True,
        twin_version=v.KUBERNETES_STAGING_VERSION,
    )


_ALL: tuple[Tool, ...] = (
    _prometheus_tool("promtool"),
    _alertmanager_tool("amtool"),
    _prometheus_tool("prometheus"),
    _alertmanager_tool("alertmanager"),
    Tool(
        name="etcd",
        version=v.ETCD_VERSION,
        module=v.ETCD_SERVER_MODULE,
        module_version=v.ETCD_MODULE_VERSION,
        package="",
        version_args=("--version",),
        version_text=f"etcd Version: {v.ETCD_VERSION}",
        ldflags=("go.etcd.io/etcd/api/v3/version.GitSHA={revision}",),
        wrapper=True,
        # etcd's own main.go (in the repository root module) is one call to etcdmain.Main.
        main_call=(f"{v.ETCD_SERVER_MODULE}/etcdmain", "Main"),
    ),
    _kubernetes_tool("kube-apiserver"),
    _kubernetes_tool("kube-controller-manager"),
    _kubernetes_tool("kube-scheduler"),
    Tool(
        name="kwok",
        version=v.KWOK_VERSION,
        module=v.KWOK_MODULE,
        module_version=v.KWOK_MODULE_VERSION,
        package=f"{v.KWOK_MODULE}/cmd/kwok",
        version_args=("--version",),
        version_text=f"kwok version v{v.KWOK_VERSION}",
        ldflags=(f"sigs.k8s.io/kwok/pkg/consts.Version={v.KWOK_VERSION}",),
    ),
    Tool(
        name="jaeger",
        version=v.JAEGER_VERSION,
        module=v.JAEGER_MODULE,
        module_version=v.JAEGER_MODULE_VERSION,
        package=f"{v.JAEGER_MODULE}/cmd/jaeger",
        version_args=("version",),
        version_text=f'"gitVersion":"v{v.JAEGER_VERSION}"',
        ldflags=(
            f"{v.JAEGER_MODULE}/internal/version.latestVersion=v{v.JAEGER_VERSION}",
            f"{v.JAEGER_MODULE}/internal/version.commitSHA={{revision}}",
            f"{v.JAEGER_MODULE}/internal/version.date={{build_date}}",
        ),
        wrapper=True,
        optional=True,
        # `augur dev up` needs no Jaeger binary; the tests validate the rendered Jaeger config
        # with it, so the test set builds it (about 3.5 minutes once).
        for_tests=True,
    ),
    Tool(
        name="helm",
        version=v.HELM_VERSION,
        module=v.HELM_MODULE,
        module_version=v.HELM_MODULE_VERSION,
        package=f"{v.HELM_MODULE}/cmd/helm",
        version_args=("version", "--short"),
        version_text=f"v{v.HELM_VERSION}",
        ldflags=_helm_ldflags(v.HELM_VERSION, v.KUBERNETES_VERSION),
        # `augur dev up` needs no Helm; the chart tests lint and render charts/augur with it.
        optional=True,
        for_tests=True,
    ),
    Tool(
        name="prometheus-operator",
        version=v.PROMETHEUS_OPERATOR_VERSION,
        module=v.PROMETHEUS_OPERATOR_MODULE,
        module_version=v.PROMETHEUS_OPERATOR_MODULE_VERSION,
        package=f"{v.PROMETHEUS_OPERATOR_MODULE}/cmd/operator",
        version_args=("--version",),
        version_text=f"prometheus-operator, version {v.PROMETHEUS_OPERATOR_VERSION}",
        ldflags=_prometheus_ldflags(v.PROMETHEUS_OPERATOR_VERSION),
        # Its go.mod replaces its own API and client modules by local directories.
        wrapper=True,
        # Only the side-by-side benchmark (bench/versus.py) runs it, and builds it on first use
        # (about 2 minutes after the test set): never in the test set, never built by CI.
        optional=True,
        for_tests=False,
    ),
    # node-exporter of cluster monitoring: the tests run it on this machine's /proc and /sys
    # with the arguments augur renders, to see it accepts them and exposes every series the
    # cluster rules and dashboards read (kube-state-metrics is not here: the module proxy
    # refused k8s.io/kube-state-metrics/v2@v2.17.0 when this was written).
    Tool(
        name="node_exporter",
        version=v.NODE_EXPORTER_VERSION,
        module=v.NODE_EXPORTER_MODULE,
        module_version=f"v{v.NODE_EXPORTER_VERSION}",
        package=v.NODE_EXPORTER_MODULE,
        version_args=("--version",),
        version_text=f"node_exporter, version {v.NODE_EXPORTER_VERSION}",
        ldflags=_prometheus_ldflags(v.NODE_EXPORTER_VERSION),
        optional=True,
        for_tests=True,
    ),
)

TOOLS: dict[str, Tool] = {tool.name: tool for tool in _ALL}


def get_tool(name: str) -> Tool:
    try:
        return TOOLS[name]
    except KeyError:
        known = ", ".join(TOOLS)
        raise ToolError(f"Unknown tool {name!r}: augur pins {known}.") from None


def selected_tools(
    names: tuple[str, ...] | list[str] = (), *, for_tests: bool = False
) -> list[Tool]:
    """Named tools; else the test suite's set; else every tool that is not optional."""
    if names:
        return [get_tool(name) for name in names]
    if for_tests:
        return [tool for tool in _ALL if tool.for_tests]
    return [tool for tool in _ALL if not tool.optional]


def cached_tool_path(name: str) -> Path | None:
    """The cached binary of a pinned tool, or None if it has not been built. Never builds."""
    return cached_binary(get_tool(name))


def tool_path(name: str, *, build_missing: bool = True, progress: Progress | None = None) -> Path:
    """The binary of a pinned tool, built from source the first time (minutes) if missing.

    Raises ToolError (one sentence: no Go, proxy unreachable, not enough disk, build failed)
    when it cannot be provided.
    """
    tool = get_tool(name)
    cached = cached_binary(tool)
    if cached is not None:
        return cached
    if not build_missing:
        raise ToolError(
            f"{tool.name} {tool.version} is not built yet: run `augur dev tools --build "
            f"{tool.name}` (it is cached in {cache_dir() / 'bin'})."
        )
    return build(tool, progress=progress or _to_stderr)


_VERSION = re.compile(r"version v?(\d+)\.(\d+)\.(\d+)")


def reported_version(binary: Path | str, tool: Tool) -> str | None:
    """The version a binary of `tool` says it is (`2.42.0`), or None when it cannot say."""
    try:
        process = subprocess.run(
            [str(binary), *tool.version_args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(process.stdout + process.stderr)
    return ".".join(found.groups()) if found else None


def compatible(tool: Tool, version: str) -> bool:
    """True for the pinned release's own minor series (3.5.x for 3.5.0): patch releases fix
    bugs only, so their promtool tests and amtool checks agree with the pinned ones."""
    return version.split(".")[:2] == tool.version.split(".")[:2]


def _ways_to_get(tool: Tool) -> str:
    project = tool.module.rsplit("/", 1)[-1].capitalize()
    return (
        f"augur needs {tool.name} {tool.version.rsplit('.', 1)[0]}.x (it pins {tool.version}, "
        f"the release of the {project} it deploys). Get it either way: `augur dev tools --build "
        f"{tool.name}` (built from source into {cache_dir() / 'bin'}, needs Go), or install "
        f"{project} {tool.version} (https://{tool.module}/releases/tag/v{tool.version}) and put "
        f"its {tool.name} on PATH."
    )


def _checked(tool: Tool, binary: Path, where: str) -> Path:
    version = reported_version(binary, tool)
    if version is None:
        raise ToolError(f"{where} ({binary}) does not say its version. {_ways_to_get(tool)}")
    if not compatible(tool, version):
        raise ToolError(f"{where} ({binary}) is version {version}. {_ways_to_get(tool)}")
    return binary


def find_tool(name: str, explicit: str | None = None) -> Path:
    """The binary of a pinned tool to run, never building one: `explicit` (a path given by
    the user), else the cached build, else one on PATH whose version is compatible.

    Raises ToolError naming the version needed and both ways to get it (build it, or install
    the release) when there is none, or the one given or found on PATH is another version.
    """
    tool = get_tool(name)
    if explicit is not None:
        given = Path(explicit)
        if not given.is_file():
            raise ToolError(f"{name} {explicit}: no such file.")
        if not os.access(given, os.X_OK):
            raise ToolError(f"{name} {explicit}: not executable.")
        return _checked(tool, given, f"the {name} given")
    cached = cached_binary(tool)
    if cached is not None:
        return cached
    on_path = shutil.which(name)
    if on_path is None:
        raise ToolError(f"{name} is neither built nor on PATH. {_ways_to_get(tool)}")
    return _checked(tool, Path(on_path), f"the {name} on PATH")


def _to_stderr(message: str) -> None:
    print(f"augur dev tools: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ToolStatus:
    tool: Tool
    path: Path | None
    record: dict[str, Any] | None

    @property
    def cached(self) -> bool:
        return self.path is not None


def status(tools: list[Tool] | None = None) -> list[ToolStatus]:
    """What is pinned and what is cached, without building anything."""
    result = []
    for tool in tools if tools is not None else list(_ALL):
        path = cached_binary(tool)
        result.append(ToolStatus(tool, path, read_record(tool) if path else None))
    return result

"""prometheus-operator's CustomResourceDefinitions (group monitoring.coreos.com), as its pinned
release ships them, for a local control plane: the side-by-side benchmark and the tests that
need ServiceMonitors, PodMonitors or PrometheusRules installed.

    from augur.dev.promoperator_crds import promoperator_crds

    for crd in promoperator_crds(["PrometheusRule", "ServiceMonitor"]):
        kube.apply(crd)

They are read from the release's Go module (`example/prometheus-operator-crd/`) in augur's Go
module cache (`~/.cache/augur/go/mod`), where building the prometheus-operator tool put it;
when it is not there, the module alone is downloaded from the Go module proxy (seconds, no
build).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from augur.dev.builder import classify_go_failure, find_go, go_env
from augur.dev.toolcache import Tool, ToolError, cache_dir
from augur.dev.tools import get_tool

GROUP = "monitoring.coreos.com"
CRD_FOLDER = "example/prometheus-operator-crd"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 reads a bare `=` (an enum value of AlertmanagerConfig's matchType) as the
    `value` type, which PyYAML cannot construct; Kubernetes reads it as the string "="."""


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def module_dir(tool: Tool, root: Path | None = None) -> Path:
    """Where Go's module cache keeps the release's source (module paths here are lower case,
    so Go's escaping of upper-case letters does not apply)."""
    return (root or cache_dir()) / "go" / "mod" / f"{tool.module}@{tool.module_version}"


def _download(tool: Tool, root: Path) -> Path:
    """`go mod download` of the release's module alone; its source folder."""
    go = find_go(tool)
    log = root / "logs" / f"{tool.key}-crds.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    target = f"{tool.module}@{tool.module_version}"
    process = subprocess.run(
        [go, "mod", "download", "-json", target],
        cwd=root,
        env=go_env(root),
        capture_output=True,
        text=True,
        check=False,
    )
    log.write_text(f"# go mod download -json {target}\n{process.stdout}{process.stderr}")
    start = process.stdout.find("{")
    try:
        info = json.loads(process.stdout[start:]) if start >= 0 else {}
    except ValueError:
        info = {}
    if process.returncode != 0 or not isinstance(info, dict) or not info.get("Dir"):
        error = info.get("Error") if isinstance(info, dict) else None
        raise classify_go_failure(
            tool, "resolving", str(error or process.stdout + process.stderr), log
        )
    return Path(str(info["Dir"]))


def release_source(root: Path | None = None) -> Path:
    """The pinned release's source folder, downloading its module first if the cache lacks it."""
    tool = get_tool("prometheus-operator")
    root = root or cache_dir()
    source = module_dir(tool, root)
    if (source / "go.mod").is_file():
        return source
    root.mkdir(parents=True, exist_ok=True)
    return _download(tool, root)


def crd_files(root: Path | None = None) -> list[Path]:
    """The release's CRD files."""
    source = release_source(root)
    files = sorted((source / CRD_FOLDER).glob(f"{GROUP}_*.yaml"))
    if not files:
        raise ToolError(f"No CRDs of {GROUP} in {source / CRD_FOLDER}.")
    return files


def promoperator_crds(kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The CRDs of prometheus-operator's `kinds` ("Prometheus", "PrometheusRule",
    "ServiceMonitor", "PodMonitor", ...), in the order asked, as objects to apply; every one
    of them when `kinds` is None. An unknown kind is a ValueError naming the known ones."""
    by_kind: dict[str, dict[str, Any]] = {}
    for path in crd_files():
        crd = yaml.load(path.read_text(), Loader=_Loader)
        by_kind[crd["spec"]["names"]["kind"]] = crd
    if kinds is None:
        return list(by_kind.values())
    wanted = list(kinds)
    unknown = [kind for kind in wanted if kind not in by_kind]
    if unknown:
        raise ValueError(
            f"prometheus-operator has no kind {', '.join(unknown)}; it defines "
            f"{', '.join(sorted(by_kind))}"
        )
    return [by_kind[kind] for kind in wanted]

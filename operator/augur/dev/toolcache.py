"""What a pinned tool is, the errors that explain why one is missing, and where it is cached.

Layout of the cache (`AUGUR_CACHE_DIR`, else `$XDG_CACHE_HOME/augur`, else `~/.cache/augur`):

    bin/<tool>-<version>         the binary (reused by every later run)
    bin/<tool>-<version>.json    how it was built and how long it took (bench/tools.py reads it)
    logs/<tool>-<version>.log    the full go output of the build
    src/<module>-<version>/      the generated wrapper module, when one is needed
    go/mod, go/build             Go's module and build caches, shared by all tools and runs
    locks/                       one lock per source module, so two runs never build twice
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Tool:
    """A pinned program built from a Go module."""

    name: str
    version: str  # what the program reports, e.g. "3.5.0"
    module: str
    module_version: str  # the module's tag on the proxy, e.g. "v0.305.0"
    package: str  # import path of the main package ("" when a main is generated)
    version_args: tuple[str, ...]
    version_text: str  # what `<tool> <version_args>` prints
    ldflags: tuple[str, ...] = ()  # -X settings; {revision} and {build_date} are filled in
    wrapper: bool = False  # the module's go.mod has replace/exclude: build through a wrapper
    twin_version: str | None = None  # published version of the module's in-tree modules
    main_call: tuple[str, str] | None = None  # (import path, function) of a generated main
    optional: bool = False  # built only when asked for by name
    for_tests: bool = True  # part of the set the test suite needs
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


class ToolError(RuntimeError):
    """A tool could not be provided; the message is one sentence a user can act on."""


class NoGoToolchain(ToolError):
    pass


class ProxyUnreachable(ToolError):
    pass


class NotEnoughDisk(ToolError):
    pass


class BuildFailed(ToolError):
    pass


# --- where things live -------------------------------------------------------------------


def cache_dir() -> Path:
    explicit = os.environ.get("AUGUR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "augur"


def binary_path(tool: Tool, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "bin" / tool.key


def record_path(tool: Tool, root: Path | None = None) -> Path:
    return binary_path(tool, root).with_name(tool.key + ".json")


def log_path(tool: Tool, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "logs" / f"{tool.key}.log"


def cached_binary(tool: Tool, root: Path | None = None) -> Path | None:
    path = binary_path(tool, root)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def read_record(tool: Tool, root: Path | None = None) -> dict[str, Any] | None:
    try:
        data = json.loads(record_path(tool, root).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None

"""The one builder: a pinned Go tool from the module proxy into ~/.cache/augur/bin, once.

The cache layout is described in `augur.dev.toolcache`.

Choices made for a small (2-core) machine, on purpose:

- `-p <cores>` (default: the number of CPUs, `AUGUR_BUILD_JOBS` overrides): one tool at a
  time, packages compiled in parallel only as far as the machine has cores.
- `GOFLAGS=-modcacherw -buildvcs=false` replaces the user's GOFLAGS: the module cache stays
  deletable with `rm -rf`, and wrapper modules (no VCS) build without stamping errors.
- `-trimpath -ldflags=-s -w`: reproducible paths, no symbol table or DWARF (smaller
  binaries, shorter links); version stamped with `-X` where the program expects it.
- `CGO_ENABLED=0` (static binaries, no C compiler needed), `GOTOOLCHAIN=local` (never fetch
  another Go), `GOWORK=off`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from augur.dev import gomod
from augur.dev.toolcache import (
    BuildFailed,
    NoGoToolchain,
    NotEnoughDisk,
    ProxyUnreachable,
    Tool,
    ToolError,
    binary_path,
    cache_dir,
    cached_binary,
    log_path,
    record_path,
)

Progress = Callable[[str], None]

# Free space a build must find: the heaviest tool (promtool, kube-apiserver) adds about 3 GiB of
# module sources and compiled packages; all test tools together fill about 8.5 GiB.
MIN_FREE_BYTES = 5 * 1024**3
HEARTBEAT_SECONDS = 20.0
TAIL_LINES = 15


def build_jobs() -> int:
    explicit = os.environ.get("AUGUR_BUILD_JOBS", "")
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    return max(1, os.cpu_count() or 1)


def go_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(root / "go" / "mod"),
        GOCACHE=str(root / "go" / "build"),
        GOPATH=str(root / "go" / "path"),
        GOFLAGS="-modcacherw -buildvcs=false",
        GOTOOLCHAIN="local",
        GOWORK="off",
        GO111MODULE="on",
        CGO_ENABLED="0",
    )
    env.pop("GOBIN", None)
    return env


# --- checks that turn into one clear sentence --------------------------------------------


def find_go(tool: Tool) -> str:
    go = shutil.which("go")
    if go is None:
        raise NoGoToolchain(
            f"No Go toolchain: `go` is not on PATH, and {tool.name} {tool.version} is built "
            "from source (install Go 1.24 or newer, or put a cached binary in "
            f"{binary_path(tool)})."
        )
    return go


def check_disk(tool: Tool, root: Path, need: int = MIN_FREE_BYTES) -> None:
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < need:
        raise NotEnoughDisk(
            f"Not enough disk to build {tool.name} {tool.version}: {_gib(free)} free under "
            f"{root}, at least {_gib(need)} needed for Go's module and build caches."
        )


_NETWORK_HINTS = (
    "dial tcp",
    "no such host",
    "connection refused",
    "i/o timeout",
    "tls handshake",
    "proxyconnect",
    "network is unreachable",
    "temporary failure in name resolution",
    "502 bad gateway",
    "503 service unavailable",
    "504 gateway",
    "module lookup disabled",
)
_MISSING_HINTS = ("not found", "unknown revision", "invalid version", "no matching versions")


def classify_go_failure(tool: Tool, step: str, output: str, log: Path) -> ToolError:
    """Turn the output of a failed go command into the error a user can act on."""
    lowered = output.lower()
    proxy = os.environ.get("GOPROXY") or "https://proxy.golang.org,direct"
    if "no space left on device" in lowered:
        return NotEnoughDisk(
            f"Not enough disk: the disk filled up while {step} {tool.name} {tool.version} "
            f"(full log: {log})."
        )
    if any(hint in lowered for hint in _NETWORK_HINTS):
        return ProxyUnreachable(
            f"Go module proxy unreachable (GOPROXY={proxy}) while {step} {tool.name} "
            f"{tool.version}: {_last_line(output)} (full log: {log})."
        )
    if step == "resolving" and any(hint in lowered for hint in _MISSING_HINTS):
        return ProxyUnreachable(
            f"{tool.module}@{tool.module_version} is not on the Go module proxy "
            f"(GOPROXY={proxy}): {_last_line(output)} (full log: {log})."
        )
    tail = "\n".join(error_tail(output))
    return BuildFailed(
        f"Building {tool.name} {tool.version} failed while {step}; "
        f"last lines of the go output:\n{tail}\nfull log: {log}"
    )


def error_tail(output: str, count: int = TAIL_LINES) -> list[str]:
    """The last lines that say something: `go build -v` and `go list` print one bare import
    path per package, which would push the compiler's messages out of a short tail."""
    lines = [line for line in output.rstrip().splitlines() if line.strip()]
    telling = [
        line
        for line in lines
        if (" " in line.strip() or line.startswith("#")) and not line.startswith("go: downloading")
    ]
    return (telling or lines)[-count:]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


# --- running go with a log and a heartbeat -----------------------------------------------


@dataclass
class _Run:
    tool: Tool
    root: Path
    env: dict[str, str]
    log: Path
    progress: Progress
    go: str
    steps: dict[str, float] = field(default_factory=dict)

    def go_cmd(
        self, step: str, args: list[str], cwd: Path, unit: str = "lines", check: bool = True
    ) -> str:
        """Run `go <args>`, appending to the log; report progress; return this step's output.

        A failure raises the ToolError that explains it, unless `check` is false."""
        started = time.monotonic()
        with self.log.open("a") as log:
            log.write(f"\n### {step}: go {' '.join(args)}  (in {cwd})\n")
            log.flush()
            offset = log.tell()
            proc = subprocess.Popen(
                [self.go, *args], cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            next_beat = started + HEARTBEAT_SECONDS
            while proc.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1.0)
                now = time.monotonic()
                if proc.returncode is None and now >= next_beat:
                    lines = self._count_lines(offset)
                    self.progress(
                        f"{self.tool.name}: still {step}, {_clock(now - started)} "
                        f"({lines} {unit} so far)"
                    )
                    next_beat = now + HEARTBEAT_SECONDS
        self.steps[step] = round(self.steps.get(step, 0.0) + time.monotonic() - started, 1)
        output = self._read_from(offset)
        if check and proc.returncode != 0:
            raise classify_go_failure(self.tool, step, output, self.log)
        return output

    def _read_from(self, offset: int) -> str:
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def _count_lines(self, offset: int) -> int:
        return self._read_from(offset).count("\n")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the build -----------------------------------------------------------------------------


def build(tool: Tool, *, progress: Progress | None = None, root: Path | None = None) -> Path:
    """Build `tool` into the cache unless it is already there; return the binary's path."""
    root = root or cache_dir()
    report = progress or (lambda _msg: None)
    cached = cached_binary(tool, root)
    if cached is not None:
        return cached
    go = find_go(tool)
    # One lock per source module: tools of one module share its wrapper and compiled packages.
    with _locked(root / "locks" / f"{_slug(tool)}.lock"):
        cached = cached_binary(tool, root)  # built by another run while we waited
        if cached is not None:
            return cached
        check_disk(tool, root)
        log = log_path(tool, root)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"# augur dev tools: {tool.name} {tool.version} ({tool.module})\n")
        run = _Run(tool, root, go_env(root), log, report, go)
        return _build_locked(run)


def _build_locked(run: _Run) -> Path:
    tool, root = run.tool, run.root
    started = time.monotonic()
    out = binary_path(tool, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{tool.key}-", dir=out.parent) as tmp:
        run.progress(f"{tool.name} {tool.version}: resolving {tool.module}@{tool.module_version}")
        info = _resolve(run, Path(tmp))
        ldflags = _ldflags(tool, info)
        built = Path(tmp) / tool.name
        if tool.wrapper:
            _build_wrapped(run, info, ldflags, built)
        else:
            _install(run, ldflags, Path(tmp))
        built.replace(out)
    seconds = round(time.monotonic() - started, 1)
    record = {
        "tool": tool.name,
        "version": tool.version,
        "module": tool.module,
        "module_version": tool.module_version,
        "seconds": seconds,
        "steps": run.steps,
        "jobs": build_jobs(),
        "go": _go_version(run),
        "bytes": out.stat().st_size,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": str(run.log),
    }
    record_path(tool, root).write_text(json.dumps(record, indent=2) + "\n")
    run.progress(
        f"{tool.name} {tool.version}: built in {_clock(seconds)} "
        f"({out.stat().st_size / 1024**2:.0f} MiB) -> {out}"
    )
    return out


def _resolve(run: _Run, tmp: Path) -> dict[str, Any]:
    """Download the target module (this is where an unreachable proxy shows) and its go.mod."""
    output = run.go_cmd(
        "resolving",
        ["mod", "download", "-json", f"{run.tool.module}@{run.tool.module_version}"],
        tmp,
        check=False,  # the JSON's "Error" says what went wrong better than its last line
    )
    start = output.find("{")
    try:
        info: dict[str, Any] = json.loads(output[start:]) if start >= 0 else {}
    except ValueError:
        info = {}
    if info.get("Error") or "GoMod" not in info:
        raise classify_go_failure(run.tool, "resolving", str(info.get("Error", output)), run.log)
    # The release time (and, when the proxy knows it, the commit) are in the .info file.
    with contextlib.suppress(OSError, ValueError, TypeError):
        details = json.loads(Path(str(info["Info"])).read_text())
        if isinstance(details, dict):
            info = {**details, **info}
    return info


def _ldflags(tool: Tool, info: Mapping[str, Any]) -> str:
    revision = (info.get("Origin") or {}).get("Hash") or "unknown"
    when = str(info.get("Time") or "")
    try:
        stamp = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        stamp = datetime(1970, 1, 1, tzinfo=UTC)
    values = {
        "revision": revision,
        "build_date": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prom_build_date": stamp.strftime("%Y%m%d-%H:%M:%S"),
    }
    flags = ["-s", "-w", *(f"-X {setting.format(**values)}" for setting in tool.ldflags)]
    return " ".join(flags)


def _build_flags(ldflags: str) -> list[str]:
    return ["-v", "-p", str(build_jobs()), "-trimpath", f"-ldflags={ldflags}"]


def _install(run: _Run, ldflags: str, tmp: Path) -> None:
    """A module `go install` accepts: install into a temporary GOBIN."""
    run.env["GOBIN"] = str(tmp)
    target = f"{run.tool.package}@{run.tool.module_version}"
    run.progress(f"{run.tool.name}: downloading dependencies and compiling (-p {build_jobs()})")
    run.go_cmd("compiling", ["install", *_build_flags(ldflags), target], tmp, "packages")
    produced = tmp / run.tool.package.rsplit("/", 1)[-1]
    if produced.name != run.tool.name:
        produced.replace(tmp / run.tool.name)


def _build_wrapped(run: _Run, info: Mapping[str, Any], ldflags: str, out: Path) -> None:
    tool = run.tool
    target = gomod.GoMod.from_json(
        json.loads(
            run.go_cmd("resolving", ["mod", "edit", "-json", str(info["GoMod"])], out.parent)
        )
    )
    src = run.root / "src" / _slug(tool)
    if tool.main_call:
        src = src.with_name(f"{src.name}-{tool.name}")
    src.mkdir(parents=True, exist_ok=True)
    go_mod = gomod.wrapper_go_mod(
        wrapper_module=f"augur-tools/{tool.module}",
        target=target,
        version=tool.module_version,
        twin_version=tool.twin_version,
    )
    generated = src / "go.mod.generated"
    if not (src / "go.mod").is_file() or not generated.is_file() or generated.read_text() != go_mod:
        (src / "go.mod").write_text(go_mod)
        generated.write_text(go_mod)  # go adds requirements to go.mod; keep what we wrote
        (src / "go.sum").write_text(_seed_go_sum(info))
    package = tool.package
    if tool.main_call:
        (src / "main.go").write_text(gomod.generated_main_go(*tool.main_call))
        package = "."
    run.progress(f"{tool.name}: downloading dependencies into {run.root / 'go' / 'mod'}")
    run.go_cmd(
        "downloading", ["list", "-mod=mod", "-deps", "-f", "{{.ImportPath}}", package], src, "lines"
    )
    run.progress(f"{tool.name}: compiling (-p {build_jobs()}; minutes on a cold cache)")
    run.go_cmd(
        "compiling",
        ["build", "-mod=mod", *_build_flags(ldflags), "-o", str(out), package],
        src,
        "packages",
    )


def _seed_go_sum(info: Mapping[str, Any]) -> str:
    """The target's own go.sum (authenticated with the target's zip) plus the target's sums.

    Go then checks every dependency the target pins against the hashes the target's authors
    recorded, and asks the checksum database only about what the wrapper adds (the published
    twins of local replacements). A module proxy that mirrors modules but not every checksum
    database entry (`.../sumdb/.../lookup/...: 404 Not Found`) is then enough.
    """
    lines = []
    with contextlib.suppress(OSError, KeyError):
        lines.append((Path(str(info["Dir"])) / "go.sum").read_text().rstrip("\n") + "\n")
    path, version = info.get("Path"), info.get("Version")
    if path and version and info.get("Sum") and info.get("GoModSum"):
        lines.append(
            f"{path} {version} {info['Sum']}\n{path} {version}/go.mod {info['GoModSum']}\n"
        )
    return "".join(lines)


def _slug(tool: Tool) -> str:
    return f"{tool.module.replace('/', '_')}-{tool.module_version}"


def _go_version(run: _Run) -> str:
    try:
        return subprocess.run(
            [run.go, "env", "GOVERSION"], env=run.env, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"

"""Real tools: cold build time of each pinned tool, cache size, and a warm run's overhead.

    .venv/bin/python bench/tools.py           # print the table
    .venv/bin/python bench/tools.py --write   # and rewrite the "Real tools" section of README.md

Cold times are not re-measured here (a cold build of everything takes the better part of an
hour on 2 cores): the builder records each build next to its binary
(`~/.cache/augur/bin/<tool>-<version>.json`), and this script reports those records. The
warm overhead is measured: the time `augur dev tools --build --for-tests` takes to find every
tool cached (Python start-up included), and the in-process lookup the tests use.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from augur.dev import builder, toolcache
from augur.dev.tools import TOOLS, cached_tool_path, selected_tools

README = Path(__file__).with_name("README.md")
SECTION = "## Real tools: cold build time and cache size"
WARM_RUNS = 7


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with_path = Path(root) / name
            if not with_path.is_symlink():
                total += with_path.stat().st_size
    return total


def _mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def cold_table() -> tuple[list[str], float]:
    """One row per tool from the build records; the total of the test set and of all."""
    lines = [
        "| tool | version | module | cold build | of which: resolve / download / compile | binary |",
        "|---|---|---|---:|---|---:|",
    ]
    total = tests_total = 0.0
    for tool in TOOLS.values():
        record = toolcache.read_record(tool)
        if record is None:
            lines.append(f"| {tool.name} | {tool.version} | | not built | | |")
            continue
        seconds = float(record["seconds"])
        total += seconds
        tests_total += seconds if tool.for_tests else 0.0
        steps = record.get("steps", {})
        parts = " / ".join(
            f"{steps[s]:.0f}s" if s in steps else "—"
            for s in ("resolving", "downloading", "compiling")
        )
        module = f"`{tool.module}@{tool.module_version}`"
        lines.append(
            f"| {tool.name} | {tool.version} | {module} | {_clock(seconds)} | {parts} "
            f"| {_mib(int(record['bytes']))} |"
        )
    lines.append(f"| **total, the test set** (`--for-tests`) | | | **{_clock(tests_total)}** | | |")
    lines.append(f"| **total, every tool** | | | **{_clock(total)}** | | |")
    return lines, total


def cache_sizes() -> list[str]:
    root = toolcache.cache_dir()
    parts = {
        "binaries (bin/)": root / "bin",
        "Go module cache (go/mod)": root / "go" / "mod",
        "Go build cache (go/build)": root / "go" / "build",
        "wrapper modules and logs": root / "src",
    }
    sizes = {label: _du(path) for label, path in parts.items()}
    sizes["wrapper modules and logs"] += _du(root / "logs")
    lines = ["| part of the cache | size |", "|---|---:|"]
    lines += [f"| {label} | {_mib(size)} |" for label, size in sizes.items()]
    lines.append(f"| **total `{root}`** | **{_mib(_du(root))}** |")
    return lines


def _median_seconds(cmd: list[str]) -> float:
    runs = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def warm_overhead() -> tuple[float, float, float]:
    """Median seconds of the warm run through `augur`, through `python -m augur.dev`, and
    of the in-process lookups."""
    bindir = Path(sys.executable).parent
    augur = shutil.which("augur", path=str(bindir)) or "augur"
    args = ["tools", "--build", "--for-tests"]
    cli = _median_seconds([augur, "dev", *args])
    module = _median_seconds([sys.executable, "-m", "augur.dev", *args])
    lookups = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        found = [cached_tool_path(tool.name) for tool in selected_tools(for_tests=True)]
        lookups.append(time.perf_counter() - started)
        assert all(found), "warm overhead needs every test tool cached"
    return cli, module, statistics.median(lookups)


def _go_version() -> str:
    go = shutil.which("go")
    if go is None:
        return "no go"
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()


def _command() -> str:
    cache = os.environ.get("AUGUR_CACHE_DIR")
    prefix = f"AUGUR_CACHE_DIR={cache} " if cache else ""
    return f"{prefix}.venv/bin/python bench/tools.py --write"


def report(note: str = "") -> str:
    cold, _total = cold_table()
    cli, module, lookup = warm_overhead()
    machine = (
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {_go_version()}, "
        f"-p {builder.build_jobs()}"
    )
    today = datetime.now(UTC).date().isoformat()
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{_command()}` (cold times from the records the",
            "builder writes next to each binary, `~/.cache/augur/bin/<tool>-<version>.json`).",
            f"Machine: {machine}. Date: {today}.",
            *([note] if note else []),
            "",
            "Cold build of each tool, in the order `augur dev tools --build` builds them, from an",
            f"empty cache folder (`{toolcache.cache_dir()}`). Each later tool reuses the modules",
            "and compiled packages the earlier ones left in Go's caches: prometheus costs little",
            "after promtool, alertmanager after amtool, kube-controller-manager and",
            "kube-scheduler after kube-apiserver. The total is what a fresh machine's",
            "`make test` pays once (jaeger is optional and not part of it).",
            "",
            *cold,
            "",
            "Cache size after building every tool:",
            "",
            *cache_sizes(),
            "",
            f"Warm run (everything cached), median of {WARM_RUNS}:",
            "",
            "| what | time | goal |",
            "|---|---:|---:|",
            f"| `augur dev tools --build --for-tests` (process start included) | {cli:.2f} s "
            "| < 2 s |",
            f"| `python -m augur.dev tools --build --for-tests` (process start included) "
            f"| {module:.2f} s | < 2 s |",
            f"| `cached_tool_path()` of the 9 test tools, in process | {lookup * 1000:.2f} ms | |",
            "",
            "Finding a cached tool is one `stat` per binary; the rest of a warm run is Python",
            "start-up and imports. `python -m augur.dev` imports only the tools command; `augur`",
            "imports every subcommand (kopf, the API models) before it starts.",
            "",
        ]
    )


def write(section: str) -> None:
    text = README.read_text()
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite bench/README.md's section")
    parser.add_argument("--note", default="", help="a line about the conditions of the run")
    args = parser.parse_args()
    section = report(args.note)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()

"""Local control plane: warm start to API ready and nodes Ready, and memory (sum of RSS).

Run: .venv/bin/python bench/cluster.py [--runs 3]
The binaries must be built (`augur dev tools --build --for-tests`); "warm" means they are
cached, so only the control plane's own start is measured.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from augur.dev.cluster import PROGRAMS, ControlPlane
from augur.dev.tools import tool_path


def rss_mib(pid: int) -> float:
    """Resident set size of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_run(binaries: dict[str, Path]) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="augur-bench-cluster-") as tmp:
        plane = ControlPlane(Path(tmp), binaries, die_with_parent=True)
        began = time.monotonic()
        plane.start()
        try:
            seconds = time.monotonic() - began
            time.sleep(10)  # let the controllers settle before reading memory
            memory = {name: rss_mib(proc.pid) for name, proc in plane.procs.items()}
        finally:
            plane.stop()
    return seconds, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binaries = {name: tool_path(name) for name in PROGRAMS}
    times: list[float] = []
    memories: list[dict[str, float]] = []
    for _ in range(args.runs):
        seconds, memory = one_run(binaries)
        times.append(seconds)
        memories.append(memory)
    print(
        f"machine: {platform.machine()}, {Path('/proc/cpuinfo').read_text().count('processor')} cores"
    )
    print(
        f"warm start to API ready + nodes Ready over {args.runs} runs: "
        f"median {statistics.median(times):.1f}s, max {max(times):.1f}s"
    )
    print("| program | RSS MiB (last run) |\n|---|---|")
    for name, mib in memories[-1].items():
        print(f"| {name} | {mib:.0f} |")
    print(f"| **sum** | **{sum(memories[-1].values()):.0f}** |")


if __name__ == "__main__":
    main()

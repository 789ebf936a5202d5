"""One run of a pinned tool (promtool, amtool) over files in a scratch folder: bounded by a
timeout that kills the tool's whole process group, and never outliving the operator.

Blocks until the tool ends: callers run it in a thread."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from augur.lifetime import die_with_parent


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


@dataclass(frozen=True)
class ToolRun:
    """How one call of a tool ended."""

    timed_out: bool
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    """The files asked for in `read_back` that the tool wrote, by path in the folder."""


def run_tool(
    argv: Sequence[str],
    files: Mapping[str, str],
    timeout: float,
    *,
    read_back: Sequence[str] = (),
) -> ToolRun:
    """Write `files` (path in the folder -> text) into a new scratch folder, run `argv` there,
    and return how it ended; after `timeout` seconds the tool's process group is killed and
    the run is `timed_out`. Raises OSError when the tool cannot be started."""
    with tempfile.TemporaryDirectory(prefix="augur-tool-") as folder:
        root = Path(folder)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        process = subprocess.Popen(
            list(argv),
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=die_with_parent,  # the thread waits for the child: it cannot end first
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return ToolRun(timed_out=True)
        outputs = {name: (root / name).read_text() for name in read_back if (root / name).exists()}
        return ToolRun(False, process.returncode, out or "", err or "", outputs)

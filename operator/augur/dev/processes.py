"""Child processes of a local control plane: start with a log file, wait, stop, report."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from augur import lifetime

TAIL_LINES = 20


class ClusterError(RuntimeError):
    """A control plane that cannot start or stop; the message says what to do."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last lines of a log file."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def alive(pid: int) -> bool:
    """True while the process exists (and is not a zombie of ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


@dataclass
class Process:
    """One program of the control plane."""

    name: str
    pid: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def running(self) -> bool:
        """True while it runs."""
        if self.popen is not None:
            return self.popen.poll() is None
        return alive(self.pid)

    def failure(self, what: str) -> ClusterError:
        """An error quoting the end of this program's log."""
        return ClusterError(f"{self.name} {what}; last lines of {self.log}:\n{tail(self.log)}")


def start(
    name: str,
    argv: Sequence[str],
    logs: Path,
    env: dict[str, str] | None = None,
    *,
    die_with_parent: bool = False,
) -> Process:
    """Start a program in its own session (so a terminal's Ctrl-C reaches only augur).

    With `die_with_parent` the kernel kills it (SIGKILL) when the thread that started it ends,
    so it never outlives its parent, even one killed with SIGKILL (Linux only)."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
            preexec_fn=lifetime.die_with_parent if die_with_parent else None,
        )
    return Process(name, popen.pid, log, popen)


def wait_until(
    check: Callable[[], bool], process: Process | None, what: str, timeout: float
) -> None:
    """Poll `check` until it holds; fail at once when `process` dies, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.running():
            raise process.failure(f"exited before {what}")
        try:
            if check():
                return
        except Exception:  # a probe that cannot connect yet
            pass
        time.sleep(0.2)
    if process is not None:
        raise process.failure(f"did not become {what} within {timeout:.0f}s")
    raise ClusterError(f"{what} did not happen within {timeout:.0f}s")


def stop(
    pids: dict[str, int],
    grace: float = 10.0,
    children: Mapping[int, subprocess.Popen[bytes]] | None = None,
) -> list[str]:
    """SIGTERM every process group, then SIGKILL what is left after `grace`; names stopped.

    `children` are the Popen objects of the pids this process started itself: they are reaped
    through Popen, so each learns its exit status (a Popen left believing its child still runs
    warns when it is collected)."""
    owned = dict(children or {})
    stopped = []
    for name, pid in pids.items():
        if alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            stopped.append(name)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids.values()):
        _reap(pids, owned)
        time.sleep(0.1)
    for pid in pids.values():
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    for pid in pids.values():
        if pid in owned:
            with contextlib.suppress(subprocess.TimeoutExpired):
                owned[pid].wait(timeout=grace)
    _reap(pids, owned)
    return stopped


def _reap(pids: dict[str, int], owned: Mapping[int, subprocess.Popen[bytes]]) -> None:
    for pid in pids.values():
        if pid in owned:
            owned[pid].poll()
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

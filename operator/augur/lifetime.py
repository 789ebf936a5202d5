"""How long the processes augur starts may live: never longer than what started them.

The one place that asks Linux for a parent-death signal; used by the operator's tool runs and
fit workers and by the local control plane's processes."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def die_with_parent() -> None:
    """In a child process (before exec, or first thing in a worker): SIGKILL when the parent
    thread that started it ends, so nothing outlives an operator or a test run that was
    killed. Elsewhere than Linux, nothing."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

"""How augur's long-running processes hold memory: few malloc arenas, free pages given back.

Python objects live in CPython's own arenas; everything larger — an HTTP answer's bytes, the
lists a JSON answer becomes, a fit's arrays — comes from glibc's malloc. glibc gives every
thread that allocates an arena of its own (up to eight per core) and returns freed memory to
the system only from the top of each heap, so an operator whose threads parse large answers
keeps the holes of every arena resident. Measured with 500 ScalingPolicies (bench/README.md,
"ScalingPolicies at scale"): the operator's own process grew by 185 MiB with the default
arenas and by about half that with two.

Both calls are glibc's (`mallopt`, `malloc_trim`); on another C library they do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_ARENA_MAX = -8
ARENAS = 2
"""malloc arenas of an augur process: its threads share them instead of one each."""


def _glibc() -> ctypes.CDLL | None:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 — present only in glibc
    except (OSError, AttributeError):
        return None
    return libc


_libc = _glibc()


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Let at most `arenas` malloc arenas be created from now on (first thing in a process,
    before its threads start). False when the C library is not glibc."""
    if _libc is None:
        return False
    return bool(_libc.mallopt(_M_ARENA_MAX, arenas))


def trim_heap() -> bool:
    """Give free pages of every malloc arena back to the system (a few milliseconds). True
    when memory was released."""
    if _libc is None:
        return False
    return bool(_libc.malloc_trim(0))


class QuietTrim:
    """The heap trimmed once work has stopped for a while: after a burst of passes the
    parsed answers' holes go back to the system instead of staying resident until the next
    burst reuses them. Trimming after every pass would cost its few milliseconds per edit."""

    def __init__(self, quiet: float = 2.0) -> None:
        self.quiet = quiet
        """Seconds without work after which the heap is trimmed (once per stretch of work)."""
        self._worked_at: float | None = None
        self.trims = 0

    def worked(self, now: float) -> None:
        """Work that allocates (a pass, an answer parsed) just ended."""
        self._worked_at = now

    def tick(self, now: float) -> bool:
        """Trim when work ended `quiet` seconds ago and has not been trimmed after; True
        when it trimmed."""
        if self._worked_at is None or now - self._worked_at < self.quiet:
            return False
        self._worked_at = None
        self.trims += 1
        trim_heap()
        return True

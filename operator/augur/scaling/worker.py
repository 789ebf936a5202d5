"""What runs inside a ScalingPolicy fit worker process (started by the operator's scaling
pool): its start, and each fit. It lives apart from the controllers so that a worker imports
only the pure evaluation (numpy, the models), not kopf, the Kubernetes client or aiohttp —
each worker would otherwise hold them all (about 40 MiB more). The operator imports this
module too (its pool names `start_worker`), so the evaluation is imported by the worker's
start, never here: the operator itself holds no numpy while no ScalingPolicy exists."""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable
from typing import TypeVar

from augur.lifetime import die_with_parent
from augur.memory import limit_malloc_arenas, trim_heap

T = TypeVar("T")


def start_worker(niceness: int) -> None:
    """First thing in a fit worker: die with the operator, leave its stop to it, yield the
    processor to it, share two malloc arenas."""
    die_with_parent()
    # Stopping is the operator's: it ends the pool. Ctrl-C signals the whole foreground
    # process group, and a worker that took SIGINT or SIGTERM itself would die under a
    # running evaluation (failed, and reported as a broken pool) while the operator stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    limit_malloc_arenas()
    if niceness:
        os.nice(niceness)
    importlib.import_module("augur.scaling.policy")  # the evaluation, before the first fit


def fit_then_trim(call: Callable[[], T]) -> T:
    """The fit, then its arrays' pages given back (a fit's peak is brief; without this the
    worker stays as large as its largest fit)."""
    try:
        return call()
    finally:
        trim_heap()

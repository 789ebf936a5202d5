"""Where ScalingPolicy evaluations run: apart from everything else the operator does.

A fit is processor-bound Python. Run in a thread of the operator's process it holds the
interpreter lock, and every AlertPolicy edit, stack render and status write waits its turn
(measured: with 500 policies evaluating, an edit's p99 went from under 1 s to 5.6 s). So:

- fits run in worker **processes** at a lower scheduling priority: the operator's event loop
  keeps its lock, and the kernel gives the processor to reconciles first;
- the policies' Kubernetes reads and writes run in their **own small thread pool**, never
  queued in front of a stack's render or apply in the default executor;
- at most `slots` evaluations are in flight at once: 500 policies falling due together wait
  for a slot instead of opening 500 Prometheus queries and 500 API reads at once.

A worker that dies (killed, out of memory) fails only the evaluation it ran; the pool is
started again for the next one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from augur.lifetime import die_with_parent
from augur.memory import limit_malloc_arenas, trim_heap

logger = logging.getLogger("augur.operator")

P = ParamSpec("P")
T = TypeVar("T")

FIT_NICENESS = 10
"""How much lower than the operator a fit worker is scheduled (nice increment)."""
IO_THREADS = 4
"""Threads for the policies' Kubernetes calls (the API client's pool holds 16 connections)."""
TRIM_EVERY = 30.0
"""Seconds between the operator's returns of free heap pages while policies evaluate."""


def _start_worker(niceness: int) -> None:
    """First thing in a fit worker: die with the operator, yield the processor to it, share
    two malloc arenas."""
    die_with_parent()
    limit_malloc_arenas()
    if niceness:
        os.nice(niceness)


def _fit_then_trim(call: Callable[[], T]) -> T:
    """In a fit worker: the fit, then its arrays' pages given back (a fit's peak is brief;
    without this the worker stays as large as its largest fit)."""
    try:
        return call()
    finally:
        trim_heap()


class PoolBroken(RuntimeError):
    """The fit worker died during this evaluation (the pool is restarted for the next)."""


class ScalingPool:
    """Fit workers, I/O threads and evaluation slots of every ScalingPolicy of the operator.

    `processes=0` fits in the I/O threads instead (tests of the code around the pool)."""

    def __init__(self, processes: int, *, niceness: int = FIT_NICENESS) -> None:
        self.processes = max(0, processes)
        self.niceness = niceness
        self.slots = asyncio.Semaphore(max(1, 2 * max(1, self.processes)))
        """Evaluations in flight (gather → fit → apply): two per worker, so one gathers
        while the other fits."""
        self._fits: Executor | None = None
        self._io: ThreadPoolExecutor | None = None
        self._trimmed = time.monotonic()

    def _io_pool(self) -> ThreadPoolExecutor:
        if self._io is None:
            self._io = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="augur-scaling")
        return self._io

    def _fit_pool(self) -> Executor:
        if self.processes == 0:
            return self._io_pool()
        if self._fits is None:
            self._fits = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.niceness,),
            )
        return self._fits

    async def io(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`call` (a blocking Kubernetes call) in the scaling I/O threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io_pool(), functools.partial(call, *args, **kwargs))

    async def fit(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`call` (a module-level function whose arguments and result pickle) in a fit
        worker. Raises PoolBroken when the worker died under it."""
        loop = asyncio.get_running_loop()
        pool = self._fit_pool()
        work = functools.partial(call, *args, **kwargs)
        try:
            if self.processes:
                result = await loop.run_in_executor(pool, _fit_then_trim, work)
            else:
                result = await loop.run_in_executor(pool, work)
        except BrokenProcessPool as error:
            if self._fits is pool:  # the first evaluation to see it starts a new pool
                self._fits = None
                pool.shutdown(wait=False, cancel_futures=True)
                logger.warning("a forecast worker died; starting the pool again")
            raise PoolBroken("the forecast worker running this evaluation died") from error
        self._trim_now_and_then()
        return result

    def _trim_now_and_then(self) -> None:
        """The operator's own free heap pages (the histories its threads parsed) given back,
        at most every TRIM_EVERY seconds while evaluations run."""
        now = time.monotonic()
        if now - self._trimmed >= TRIM_EVERY:
            self._trimmed = now
            trim_heap()

    def close(self) -> None:
        """Stop the workers and threads (at operator shutdown)."""
        for pool in (self._fits, self._io):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._fits = self._io = None

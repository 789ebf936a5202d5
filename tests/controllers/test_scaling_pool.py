"""The ScalingPolicy pool: fits in niced worker processes that die with the operator, Kubernetes
calls in their own threads, and a dead worker failing only its own evaluation."""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from augur.controllers.scaling_pool import PoolBroken, ScalingPool


def where() -> tuple[int, int, int]:
    """The worker's pid, niceness and parent-death signal."""
    import ctypes

    libc = ctypes.CDLL(None)
    sig = ctypes.c_int(0)
    libc.prctl(2, ctypes.byref(sig))  # PR_GET_PDEATHSIG
    return os.getpid(), os.nice(0), sig.value


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def thread_name() -> str:
    return threading.current_thread().name


@pytest.fixture
async def pool() -> AsyncIterator[ScalingPool]:
    made = ScalingPool(1, niceness=5)
    yield made
    made.close()


async def test_fits_run_in_a_lower_priority_process_that_dies_with_the_operator(
    pool: ScalingPool,
) -> None:
    pid, niceness, death_signal = await pool.fit(where)
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + 5
    assert death_signal == signal.SIGKILL


async def test_a_dead_worker_fails_only_its_evaluation(pool: ScalingPool) -> None:
    first, _, _ = await pool.fit(where)
    with pytest.raises(PoolBroken):
        await pool.fit(die)
    second, _, _ = await pool.fit(where)
    assert second != first


def slow_fit(seconds: float) -> int:
    import time

    time.sleep(seconds)
    return os.getpid()


async def test_a_stop_signal_to_the_worker_leaves_its_fit_running(pool: ScalingPool) -> None:
    """Ctrl-C signals the whole process group: the operator stops, its worker must not die
    under a running evaluation."""
    worker, _, _ = await pool.fit(where)
    running = asyncio.ensure_future(pool.fit(slow_fit, 1.0))
    await asyncio.sleep(0.3)
    os.kill(worker, signal.SIGINT)
    os.kill(worker, signal.SIGTERM)
    assert await running == worker
    assert (await pool.fit(where))[0] == worker  # the same worker, still serving


async def test_kubernetes_calls_run_in_the_scaling_threads(pool: ScalingPool) -> None:
    assert (await pool.io(thread_name)).startswith("augur-scaling")


async def test_without_processes_fits_run_in_the_threads() -> None:
    threads = ScalingPool(0)
    try:
        assert (await threads.fit(thread_name)).startswith("augur-scaling")
    finally:
        threads.close()


def arenas_after_threads_allocate(threads: int = 8) -> int:
    """In this process: `threads` threads allocate at once through malloc; then the number of
    malloc arenas glibc's malloc_stats reports."""
    import ctypes
    import tempfile

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    barrier = threading.Barrier(threads)

    def allocate() -> None:
        barrier.wait()
        blocks = [libc.malloc(4096) for _ in range(2000)]
        barrier.wait()
        for block in blocks:
            libc.free(block)

    workers = [threading.Thread(target=allocate) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            libc.malloc_stats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        report = out.read().decode()
    return sum(line.startswith("Arena ") for line in report.splitlines())


async def test_a_fit_worker_shares_two_malloc_arenas_among_its_threads(
    pool: ScalingPool,
) -> None:
    # glibc alone would give each of the eight threads an arena of its own (up to 8 per core);
    # each arena keeps its freed holes resident.
    assert await pool.fit(arenas_after_threads_allocate) <= 2


WORKER_IMPORTS = """
import asyncio
import augur.controllers  # as the operator's `augur` command does, before any fit

from augur.controllers.scaling_pool import ScalingPool


async def main() -> None:
    pool = ScalingPool(1)
    try:
        print(await pool.fit(eval, "sorted(__import__('sys').modules)"))
    finally:
        pool.close()


if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_fit_worker_imports_neither_kopf_nor_the_kubernetes_client(tmp_path: Path) -> None:
    # A spawned worker re-imports the parent's main module: for the operator the `augur`
    # command, which imports every controller. The worker must hold only the fit.
    script = tmp_path / "operator_main.py"
    script.write_text(WORKER_IMPORTS)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    modules = set(ast.literal_eval(out.strip().splitlines()[-1]))
    assert "numpy" in modules  # the probe ran in a worker that can fit
    assert not modules & {"kopf", "kubernetes", "aiohttp", "augur.controllers"}

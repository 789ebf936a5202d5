"""The ScalingPolicy pool: fits in niced worker processes that die with the operator, Kubernetes
calls in their own threads, and a dead worker failing only its own evaluation."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import AsyncIterator

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


async def test_kubernetes_calls_run_in_the_scaling_threads(pool: ScalingPool) -> None:
    assert (await pool.io(thread_name)).startswith("augur-scaling")


async def test_without_processes_fits_run_in_the_threads() -> None:
    threads = ScalingPool(0)
    try:
        assert (await threads.fit(thread_name)).startswith("augur-scaling")
    finally:
        threads.close()

"""augur's processes hold few malloc arenas and give free heap pages back."""

from __future__ import annotations

import ctypes

from augur.memory import QuietTrim, limit_malloc_arenas, trim_heap


def test_freed_heap_pages_are_given_back() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # Small blocks come from the heap (not mmap): freed, they stay resident until trimmed;
    # the last one kept holds the top of the heap, so only a trim can release the rest.
    blocks = [libc.malloc(4096) for _ in range(20000)]
    keep = libc.malloc(64)
    for block in blocks:
        libc.free(block)
    try:
        assert trim_heap() is True
    finally:
        libc.free(keep)


def test_the_arena_limit_is_taken_on_glibc() -> None:
    assert limit_malloc_arenas() is True


def test_the_heap_is_trimmed_once_after_work_goes_quiet() -> None:
    heap = QuietTrim(quiet=2.0)
    assert not heap.tick(100.0)  # nothing worked yet
    heap.worked(100.0)
    assert not heap.tick(101.0)  # still within the quiet time
    heap.worked(101.5)  # more work pushes the trim back
    assert not heap.tick(103.0)
    assert heap.tick(103.5)
    assert not heap.tick(200.0)  # once per stretch of work
    assert heap.trims == 1

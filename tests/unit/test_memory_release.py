"""Freed heap memory goes back to the system after a turn (glibc's malloc_trim), at most once a second."""

from __future__ import annotations

import ctypes
import ctypes.util

import psutil
import pytest

from orchestrator import memory

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)


@pytest.mark.skipif(memory._TRIM is None, reason="this libc has no malloc_trim")
def test_a_trim_gives_freed_heap_pages_back():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    # Keep 64 kB blocks on the heap and stop free() trimming its top, so only malloc_trim gives pages back.
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    process = psutil.Process()
    try:
        blocks = [libc.malloc(64 * 1024) for _ in range(2000)]
        for block in blocks:
            ctypes.memset(block, 1, 64 * 1024)  # 128 MB, touched so it is resident
        for block in blocks:
            libc.free(block)
        before = process.memory_info().rss
        memory._last = 0.0

        assert memory.trim_now() is True
        assert process.memory_info().rss < before - 64 * 2**20  # most of the 128 MB went back
    finally:
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)  # glibc's defaults
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


def test_trims_are_at_most_once_a_second(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(memory, "_TRIM", lambda pad: calls.append(pad) or 1)
    monkeypatch.setattr(memory, "_last", 0.0)

    assert [memory.trim_now(), memory.trim_now(), memory.trim_now(force=True)] == [True, False, True]
    assert calls == [0, 0]

"""Hand heap memory freed by a turn back to the system, so a long-lived process's RSS stays level.

glibc keeps freed memory in its arenas for reuse: after a turn's audio buffers
and model scratch space are freed, RSS stays hundreds of MB above what is in
use, and rises and falls from turn to turn with whichever arena served it.
``malloc_trim(0)`` returns the free pages. It runs off the event loop (ctypes
releases the GIL), at most once a second, and is a no-op where libc has no
``malloc_trim`` (musl, macOS).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

__all__ = ["release_freed_memory", "trim_now"]

_MIN_INTERVAL_S = 1.0
_lock = threading.Lock()
_last = 0.0


def _load_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _load_trim()


def trim_now(*, force: bool = False) -> bool:
    """Return free heap pages to the system now; False where that is not possible or was done under a second ago.

    ``force`` skips the once-a-second limit (a soak trims before each sample, so it measures memory held).
    """
    global _last
    if _TRIM is None:
        return False
    with _lock:
        now = time.monotonic()
        if not force and now - _last < _MIN_INTERVAL_S:
            return False
        _last = now
    _TRIM(0)
    return True


def release_freed_memory() -> None:
    """After a turn: trim in a worker thread, without waiting for it (no-op outside an event loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        trim_now()
        return
    loop.run_in_executor(None, trim_now)

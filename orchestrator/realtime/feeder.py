"""Play recorded audio into the engine as a live caller would: 20 ms chunks, in real time.

``voicebot turn --audio FILE --realtime``, the bench and the tests use it, so the
headless runs go through the same endpointing as the browser's microphone. A chunk
is fed when its last sample "has been spoken", so the clock time of any point of
the recording is known (``RealtimeFeed.at``) and figures can run from the true end
of speech in the file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from orchestrator.audio import TARGET_RATE, pcm16_bytes
from orchestrator.realtime.engine import RealtimeEngine

__all__ = ["CHUNK_MS", "RealtimeFeed", "feed_in_real_time"]

CHUNK_MS = 20  # what a telephony media stream sends; the browser sends 170 ms


@dataclass(frozen=True, slots=True)
class RealtimeFeed:
    """When the recording was played in: its sample 0 was "spoken" at clock time ``started_at``."""

    started_at: float
    seconds: float  # the recording's length, the silence tail not included

    def at(self, position_s: float) -> float:
        """Clock time at which the recording's ``position_s`` was spoken."""
        return self.started_at + position_s


async def feed_in_real_time(
    engine: RealtimeEngine,
    samples: np.ndarray,
    *,
    rate: int = TARGET_RATE,
    chunk_ms: int = CHUNK_MS,
    tail_s: float = 0.0,
    until: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_position: Callable[[float], Awaitable[None]] | None = None,
) -> RealtimeFeed:
    """Feed ``samples`` (mono float32 at ``rate``, the engine's input rate) then up to ``tail_s`` of silence.

    The silence tail stops early once ``until()`` is true (e.g. the turn has started).
    ``on_position`` is awaited with the recording position (s) after each chunk.
    """
    step = max(1, rate * chunk_ms // 1000)
    pcm = pcm16_bytes(samples)
    total = len(samples) + int(tail_s * rate)
    silence = bytes(step * 2)
    started = clock()
    for index, offset in enumerate(range(0, total, step)):
        due = started + (offset + step) / rate
        delay = due - clock()
        if delay > 0:
            await sleep(delay)
        if offset >= len(samples):
            if until is not None and until():
                break
            engine.feed(silence)
        else:
            engine.feed(pcm[offset * 2: (offset + step) * 2])
        if on_position is not None:
            await on_position((index + 1) * step / rate)
    return RealtimeFeed(started_at=started, seconds=len(samples) / rate)

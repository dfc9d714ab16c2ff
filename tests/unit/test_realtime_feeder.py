"""Recorded audio played into the engine like a live caller: 20 ms chunks, paced by the clock."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.realtime.feeder import feed_in_real_time
from tests.unit.realtime_fakes import FakeClock

pytestmark = pytest.mark.asyncio


class _Recorder:
    """Stands in for the engine: keeps each chunk and the clock time it arrived."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.chunks: list[tuple[int, float]] = []

    def feed(self, pcm: bytes) -> None:
        self.chunks.append((len(pcm), self.clock.now))


def _pacer(clock: FakeClock):  # type: ignore[no-untyped-def]
    async def sleep(seconds: float) -> None:
        clock.now += seconds

    return sleep


async def test_each_20_ms_chunk_arrives_when_its_last_sample_has_been_spoken() -> None:
    clock = FakeClock()
    engine = _Recorder(clock)
    feed = await feed_in_real_time(engine, np.zeros(16_000, dtype=np.float32), clock=clock,  # type: ignore[arg-type]
                                   sleep=_pacer(clock))

    assert len(engine.chunks) == 50
    assert {size for size, _at in engine.chunks} == {640}  # 320 int16 samples
    assert engine.chunks[0][1] == pytest.approx(feed.started_at + 0.02)
    assert engine.chunks[-1][1] == pytest.approx(feed.started_at + 1.0)
    assert feed.at(0.5) == pytest.approx(feed.started_at + 0.5)
    assert feed.seconds == 1.0


async def test_the_silence_tail_stops_as_soon_as_the_turn_has_started() -> None:
    clock = FakeClock()
    engine = _Recorder(clock)
    started = {"turn": False}

    async def on_position(position: float) -> None:
        started["turn"] = position >= 0.6

    await feed_in_real_time(engine, np.zeros(8_000, dtype=np.float32), tail_s=5.0, clock=clock,  # type: ignore[arg-type]
                            sleep=_pacer(clock), until=lambda: started["turn"], on_position=on_position)

    assert len(engine.chunks) == 30  # 0.5 s of audio, then silence up to 0.6 s, not the 5 s tail

"""The live engine without a browser: recorded speech played in as a caller, the reply "played" to a recorder.

``voicebot turn --realtime``, the bench and live scenarios use ``HeadlessCall``: one
session's engine, ``LiveCall`` and ``ReplyPlayer``, with ``HeadlessOut`` standing in
for the far end's speaker (it keeps when each piece went out and when playback was
stopped). ``say`` feeds a recording in real time, 20 ms at a time, optionally
``interrupt_after_ms`` into the bot's reply, and returns the turns it made.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from orchestrator.audio import TARGET_RATE
from orchestrator.pipeline import Pipeline
from orchestrator.realtime.base import EngineConfig
from orchestrator.realtime.call import LiveCall, LiveTurn, TurnRunner
from orchestrator.realtime.engine import RealtimeEngine
from orchestrator.realtime.feeder import CHUNK_MS, RealtimeFeed, feed_in_real_time
from orchestrator.realtime.playback import PLAYER_RATE, ReplyPlayer
from orchestrator.realtime.vad import SpeechDetector

__all__ = ["HeadlessCall", "HeadlessOut", "Said"]


@dataclass
class HeadlessOut:
    """The far end's speaker, as a log: (clock time, track, seconds of audio) per piece, and each stop."""

    clock: Callable[[], float] = time.monotonic
    sent: list[tuple[float, str, float]] = field(default_factory=list)
    stops: list[float] = field(default_factory=list)

    async def send(self, pcm: bytes, track: str) -> None:
        self.sent.append((self.clock(), track, len(pcm) / 2 / PLAYER_RATE))

    async def stop(self) -> None:
        self.stops.append(self.clock())

    def first_sent_after(self, at: float, track: str | None = None) -> float | None:
        """When the first piece after clock time ``at`` (of ``track``, if given) went out."""
        later = [t for t, tr, _s in self.sent if t >= at and (track is None or tr.startswith(track))]
        return min(later) if later else None

    def first_stop_after(self, at: float) -> float | None:
        later = [t for t in self.stops if t >= at]
        return min(later) if later else None


@dataclass(frozen=True)
class Said:
    """One recording played into the call: when, and the turns it made (finished by the time ``say`` returns)."""

    feed: RealtimeFeed
    turns: list[LiveTurn]


class HeadlessCall:
    """One caller's live session, driven from recordings."""

    def __init__(
        self,
        pipeline: Pipeline,
        session_id: str,
        detector: SpeechDetector,
        *,
        config: EngineConfig | None = None,
        run: TurnRunner | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.config = config or EngineConfig.from_settings(pipeline.settings)
        self.out = HeadlessOut(clock)
        self.player = ReplyPlayer(self.out, clock=clock)
        self.call = LiveCall(pipeline, session_id, self.player, run=run)
        self.engine = RealtimeEngine(
            detector, pipeline.stt, self.call, self.player, config=self.config, input_rate=TARGET_RATE, clock=clock
        )

    async def say(self, samples: np.ndarray, *, interrupt_after_ms: float | None = None) -> Said:
        """Play ``samples`` (16 kHz mono float32) in real time, then silence until its turns are answered.

        With ``interrupt_after_ms`` the recording starts that long after the bot's last
        reply began to play (silence is fed until then, as on an open line).
        """
        if interrupt_after_ms is not None:
            start = (self.player.first_sent_at or self.clock()) + interrupt_after_ms / 1000.0
            lead = max(0.0, start - self.clock())
            await feed_in_real_time(self.engine, np.zeros(0, dtype=np.float32), tail_s=lead, clock=self.clock)
        before = len(self.call.turns)

        def answered() -> bool:
            return len(self.call.turns) > before and self.engine.idle

        tail_s = (self.config.hold_ms + 4 * CHUNK_MS) / 1000.0 + 1.0
        feed = await feed_in_real_time(self.engine, samples, tail_s=tail_s, until=answered, clock=self.clock)
        await self.engine.drain()
        turns = self.call.turns[before:]
        await asyncio.gather(*(t.task for t in turns if t.task is not None), return_exceptions=True)
        return Said(feed, turns)

    async def wait_quiet(self, margin_s: float = 0.2, limit_s: float = 120.0) -> None:
        """Keep the line open (silence, in real time) until the bot's reply has played out."""
        step = CHUNK_MS / 1000.0
        waited = 0.0
        while self.player.audible() and waited < limit_s:
            await feed_in_real_time(self.engine, np.zeros(0, dtype=np.float32), tail_s=step, clock=self.clock)
            waited += step
        await feed_in_real_time(self.engine, np.zeros(0, dtype=np.float32), tail_s=margin_s, clock=self.clock)

    async def close(self) -> None:
        """End the call: a pending utterance is answered, the engine stops."""
        self.engine.mic_off()
        await self.engine.drain()
        await self.engine.close()
        pending = [t.task for t in self.call.turns if t.task is not None and not t.task.done()]
        await asyncio.gather(*pending, return_exceptions=True)

"""Fakes for the real-time engine's tests: a clock, an audio sink, a conversation, and streams to feed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestrator.audio import pcm16_bytes
from orchestrator.events import EventBase
from orchestrator.realtime import EngineConfig, Heard, LevelVAD, RealtimeEngine, ReplyPlayer, Utterance
from orchestrator.stt.fake import FakeSTT

__all__ = ["FakeClock", "RecordingOut", "ScriptedConversation", "Stream", "engine_for", "voice"]

RATE = 24_000  # what the browser sends


class FakeClock:
    """Time that moves only when the test feeds audio."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RecordingOut:
    """An ``AudioOut`` that keeps what was sent, per track, and when playback was stopped."""

    clock: FakeClock
    sent: list[tuple[str, bytes, float]] = field(default_factory=list)
    stops: list[float] = field(default_factory=list)

    async def send(self, pcm: bytes, track: str) -> None:
        self.sent.append((track, pcm, self.clock.now))

    async def stop(self) -> None:
        self.stops.append(self.clock.now)

    def tracks(self) -> list[str]:
        return list(dict.fromkeys(t for t, _pcm, _at in self.sent))


@dataclass
class ScriptedConversation:
    """Records events and utterances; each turn speaks ``reply_s`` seconds of tone, or waits to be released."""

    player: ReplyPlayer
    reply_s: float = 0.0
    hold: bool = False  # keep each turn running (thinking, nothing said) until ``release()``
    linger: bool = False  # keep each turn running after its reply went out (still synthesising)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    cuts: list[Heard] = field(default_factory=list)
    cancelled: int = 0
    called_off: int = 0
    holds: list[bool] = field(default_factory=list)
    _gate: asyncio.Event = field(default_factory=asyncio.Event)

    def emit(self, event: EventBase) -> None:
        self.events.append((event.type, event.model_dump(exclude_unset=True)))  # type: ignore[attr-defined]

    def types(self) -> list[str]:
        return [t for t, _f in self.events]

    def fields(self, kind: str) -> list[dict[str, Any]]:
        return [f for t, f in self.events if t == kind]

    def release(self) -> None:
        self._gate.set()

    async def start_turn(self, utterance: Utterance) -> asyncio.Task[None]:
        self.utterances.append(utterance)
        return asyncio.create_task(self._turn())

    async def _turn(self) -> None:
        try:
            if self.hold:
                await self._gate.wait()
            if self.reply_s:
                tone = 0.2 * np.sin(np.arange(int(22_050 * self.reply_s)) / 22_050 * 2 * np.pi * 220)
                await self.player.play(tone.astype(np.float32), 22_050, "one two three four five six seven eight")
            if self.linger:
                await self._gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def cut_turn(self, heard: Heard) -> None:
        self.cuts.append(heard)

    def call_off_turn(self) -> None:
        self.called_off += 1

    def hold_turn(self, held: bool) -> None:
        self.holds.append(held)


def voice(seconds: float) -> np.ndarray:
    """Stand-in "speech" for the level detector: a loud tone."""
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.float32)


@dataclass
class Stream:
    """Builds a caller stream from voice and silence, then feeds it in chunks, moving the clock."""

    parts: list[np.ndarray] = field(default_factory=list)

    def talk(self, seconds: float) -> Stream:
        self.parts.append(voice(seconds))
        return self

    def pause(self, seconds: float) -> Stream:
        self.parts.append(quiet(seconds))
        return self

    def samples(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.float32)

    async def feed(self, engine: RealtimeEngine, clock: FakeClock, chunk: int = 480) -> None:
        """Feed 20 ms chunks (or ``chunk`` samples), each processed before the next arrives."""
        pcm = pcm16_bytes(self.samples())
        step = chunk * 2
        for i in range(0, len(pcm), step):
            clock.now += chunk / RATE
            engine.feed(pcm[i: i + step])
            await engine.drain()


def engine_for(
    transcripts: list[str], *, reply_s: float = 0.0, hold: bool = False, linger: bool = False,
    confidence: float = 0.99, **config: Any
) -> tuple[RealtimeEngine, ScriptedConversation, RecordingOut, FakeClock, FakeSTT]:
    """An engine on the level detector and scripted STT (every transcript heard with ``confidence``)."""
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    talk = ScriptedConversation(player, reply_s=reply_s, hold=hold, linger=linger)
    stt = FakeSTT(transcripts, confidence=confidence)
    engine = RealtimeEngine(
        LevelVAD(), stt, talk, player, config=EngineConfig(**config), input_rate=RATE, clock=clock
    )
    return engine, talk, out, clock, stt

"""The bot's voice going out: streamed piece by piece, with a clock of what has been heard.

``ReplyPlayer`` sends each synthesised piece to an ``AudioOut`` as raw PCM16 mono
at 24 kHz (what Chainlit's ``WavStreamPlayer`` plays, whatever the voice's rate)
the moment it exists. It keeps a model of the far end's playback: a piece starts
playing when it arrives or when the one before it ends, whichever is later. From
that it answers "is the bot audible now?" and "how much of the reply has the
caller heard?" (milliseconds and words), which barge-in needs.

Each reply gets a fresh track id: Chainlit's player ignores chunks of a track it
has been told to stop, and starts a new playback for a new track.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from orchestrator.audio import pcm16_bytes, resample

__all__ = ["PLAYER_RATE", "AudioOut", "Heard", "ReplyPlayer", "player_pcm"]

PLAYER_RATE = 24_000  # Chainlit 2.12's WavStreamPlayer: mono int16 at 24 kHz, mimeType ignored
_GAP_S = 0.12  # the silence SpeechStream puts between pieces in the reply's WAV


def player_pcm(samples: np.ndarray, rate: int) -> bytes:
    """Float32 (or int16) mono at ``rate`` to the player's raw PCM16 at 24 kHz."""
    floats = samples.astype(np.float32) / 32768.0 if samples.dtype == np.int16 else samples
    return pcm16_bytes(resample(floats, rate, PLAYER_RATE))


class AudioOut(Protocol):
    """Where the reply's audio goes: the browser, a telephony socket, or a test's recorder."""

    async def send(self, pcm: bytes, track: str) -> None:
        """Play ``pcm`` (PCM16 mono 24 kHz) after whatever ``track`` has queued."""
        ...

    async def stop(self) -> None:
        """Stop playback at once and drop what is queued."""
        ...


@dataclass(frozen=True, slots=True)
class Heard:
    """How much of the reply reached the caller's ears before a stop."""

    ms: float
    text: str
    reply_ms: float  # the reply audio sent so far


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int  # sample offsets in the reply's timeline (24 kHz); [start, speech) is the lead-in gap
    speech: int
    end: int


@dataclass(frozen=True, slots=True)
class _Span:
    """A run of the timeline queued at the far end: from ``offset`` s, playing from clock time ``at``."""

    offset: float
    at: float
    seconds: float


@dataclass
class _Reply:
    track: str
    pcm: bytearray = field(default_factory=bytearray)
    pieces: list[_Piece] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)
    stopped_at: float | None = None  # timeline position (s) where playback was stopped

    def position(self, now: float) -> float:
        """Timeline seconds played by clock time ``now``."""
        if self.stopped_at is not None:
            return self.stopped_at
        pos = self.spans[0].offset if self.spans else 0.0
        for span in self.spans:
            if now < span.at:
                break
            pos = span.offset + min(now - span.at, span.seconds)
        return pos

    def words_until(self, seconds: float) -> str:
        sample = seconds * PLAYER_RATE
        words: list[str] = []
        for piece in self.pieces:
            if sample <= piece.speech:
                break
            share = min(1.0, (sample - piece.speech) / max(piece.end - piece.speech, 1))
            piece_words = piece.text.split()
            words.extend(piece_words[: round(share * len(piece_words))])
        return " ".join(words)


class ReplyPlayer:
    """Streams one reply at a time to ``out`` and models what the caller has heard of it."""

    def __init__(self, out: AudioOut, *, clock: Callable[[], float] = time.monotonic, prefix: str = "reply") -> None:
        self._out = out
        self._clock = clock
        self._ids = itertools.count(1)
        self._prefix = prefix
        self._reply: _Reply | None = None
        self.first_sent_at: float | None = None  # clock time the current reply's first audio went out

    def start_reply(self) -> str:
        """Begin a new reply on a new track; returns its track id."""
        self._reply = _Reply(track=f"{self._prefix}-{next(self._ids)}")
        self.first_sent_at = None
        return self._reply.track

    @property
    def track(self) -> str | None:
        """The track the current reply is playing on (None before the first reply)."""
        return self._reply.track if self._reply else None

    async def play(self, samples: np.ndarray, rate: int, text: str) -> None:
        """Send one synthesised piece of the current reply (kept, not sent, while playback is stopped)."""
        reply = self._reply or self._new()
        gap = int(PLAYER_RATE * _GAP_S) if reply.pieces else 0
        pcm = pcm16_bytes(np.zeros(gap, dtype=np.float32)) + player_pcm(samples, rate)
        start = len(reply.pcm) // 2
        reply.pcm.extend(pcm)
        reply.pieces.append(_Piece(text=text, start=start, speech=start + gap, end=len(reply.pcm) // 2))
        if reply.stopped_at is None:
            await self._send(reply, start / PLAYER_RATE, pcm)

    def _new(self) -> _Reply:
        self.start_reply()
        assert self._reply is not None
        return self._reply

    async def _send(self, reply: _Reply, offset: float, pcm: bytes) -> None:
        now = self._clock()
        last = reply.spans[-1] if reply.spans else None
        at = max(now, last.at + last.seconds) if last else now
        reply.spans.append(_Span(offset=offset, at=at, seconds=len(pcm) / 2 / PLAYER_RATE))
        if self.first_sent_at is None:
            self.first_sent_at = now
        await self._out.send(pcm, reply.track)

    def sent_ms(self) -> float:
        """Audio of the current reply made so far, in ms (0 when nothing went out yet)."""
        reply = self._reply
        return round(len(reply.pcm) / 2 / PLAYER_RATE * 1000.0, 1) if reply else 0.0

    def ends_at(self) -> float | None:
        """Clock time the current reply's audio sent so far runs out at the far end (None once stopped)."""
        reply = self._reply
        if reply is None or reply.stopped_at is not None or not reply.spans:
            return None
        last = reply.spans[-1]
        return last.at + last.seconds

    def audible(self) -> bool:
        """Is the bot's voice playing at the far end right now?"""
        end = self.ends_at()
        return end is not None and self._clock() < end

    def heard(self) -> Heard:
        """What the caller has heard of the current reply (up to now, or up to the stop)."""
        reply = self._reply
        if reply is None:
            return Heard(0.0, "", 0.0)
        pos = reply.position(self._clock())
        return Heard(round(pos * 1000.0, 1), reply.words_until(pos), self.sent_ms())

    async def stop(self) -> Heard:
        """Stop the current reply's playback now; returns what had been heard."""
        reply = self._reply
        if reply is not None and reply.stopped_at is None:
            reply.stopped_at = reply.position(self._clock())
            reply.spans.clear()
        await self._out.stop()
        return self.heard()

    async def resume(self) -> None:
        """Carry a stopped reply on from where it stopped, on a fresh track."""
        reply = self._reply
        if reply is None or reply.stopped_at is None:
            return
        offset = reply.stopped_at
        reply.track = f"{reply.track.split('~')[0]}~{next(self._ids)}"
        reply.stopped_at = None
        rest = bytes(reply.pcm[round(offset * PLAYER_RATE) * 2:])
        if rest:
            await self._send(reply, offset, rest)

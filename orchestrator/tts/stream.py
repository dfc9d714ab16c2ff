"""Speak a reply while it is still being written.

The dialog step hands text over as it has it (the disclosure at once, then
each sentence an LLM finishes); one asyncio task synthesizes the pieces in
order and passes each one's audio on as soon as it exists. A dialog that
answers all at once just hands over its whole reply; an answer whose audio
was kept (the semantic cache) hands over a way to fetch it, and is only
synthesized when that finds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from orchestrator.tts.chunking import split_for_speech, split_sentences

__all__ = ["KnownAudio", "SpeechStream", "SpokenPiece", "SpokenReply"]

# Silence between pieces keeps sentences apart.
_GAP_S = 0.12

# Fetches audio already made for one text (blocking); None when there is none.
KnownAudio = Callable[[], np.ndarray | None]


@dataclass(frozen=True, slots=True)
class SpokenPiece:
    """One synthesized piece, as it was handed on."""

    index: int
    text: str
    samples: np.ndarray
    sample_rate: int
    ms: float
    cached: bool


@dataclass(frozen=True, slots=True)
class SpokenReply:
    """The whole reply's audio and when its first piece was ready."""

    audio: np.ndarray
    sample_rate: int
    chunks: int
    first_audio_ms: float  # from the first text handed over to its audio
    first_audio_at: float | None  # perf_counter() when the first audio was ready
    total_ms: float  # from the first text handed over to the last audio


class SpeechStream:
    """Synthesizes text pieces in the order they are put, from one task on the running loop."""

    def __init__(
        self,
        synthesize: Callable[[str], tuple[np.ndarray, bool]],
        sample_rate: Callable[[], int],
        on_piece: Callable[[SpokenPiece], Awaitable[None]],
        *,
        voice: str = "",
    ) -> None:
        self._synthesize = synthesize
        self._sample_rate = sample_rate
        self._on_piece = on_piece
        self.voice = voice  # the TTS backend's name: kept audio is only reused from the same voice
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, KnownAudio | None] | None] = asyncio.Queue()
        self._parts: list[np.ndarray] = []
        self._first_text_at: float | None = None
        self._first_audio_at: float | None = None
        self._last_audio_at: float | None = None
        self._chunks = 0
        self._task = asyncio.create_task(self._run())

    @property
    def sample_rate(self) -> int:
        """The voice's sample rate."""
        return self._sample_rate()

    def put(self, text: str, known: KnownAudio | None = None) -> None:
        """Queue ``text`` for speech (call from the event loop's thread).

        ``known`` fetches audio already made for exactly ``text`` (blocking; None when there is none):
        it is handed on as one cached piece instead of synthesizing the text.
        """
        if self._first_text_at is None:
            self._first_text_at = time.perf_counter()
        self._queue.put_nowait((text, known))

    def put_threadsafe(self, text: str) -> None:
        """Queue ``text`` from a worker thread (a streaming dialog's callback)."""
        self._loop.call_soon_threadsafe(self.put, text)

    async def finish(self) -> SpokenReply:
        """Wait until everything put so far is spoken; raise what synthesis raised."""
        self._queue.put_nowait(None)
        await self._task
        rate = self._sample_rate()
        audio = np.concatenate(self._parts[:-1]) if self._parts else np.zeros(0, dtype=np.float32)
        start = self._first_text_at
        first = self._first_audio_at
        return SpokenReply(
            audio=audio,
            sample_rate=rate,
            chunks=self._chunks,
            first_audio_ms=_ms(start, first),
            first_audio_at=first,
            total_ms=_ms(start, self._last_audio_at),
        )

    async def cancel(self) -> None:
        """Stop speaking (the turn failed); safe to call after ``finish``."""
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        first_segment = True
        while (item := await self._queue.get()) is not None:
            text, known = item
            if known is not None:
                start = time.perf_counter()
                kept = await asyncio.to_thread(known)
                if kept is not None:
                    first_segment = False
                    await self._hand_on(text, kept, start, cached=True)
                    continue
            # The reply's first sentence is cut at a clause so the first audio comes sooner.
            pieces = split_for_speech(text) if first_segment else split_sentences(text)
            first_segment = False
            for piece in pieces:
                start = time.perf_counter()
                samples, cached = await asyncio.to_thread(self._synthesize, piece)
                await self._hand_on(piece, samples, start, cached=cached)

    async def _hand_on(self, text: str, samples: np.ndarray, start: float, *, cached: bool) -> None:
        now = time.perf_counter()
        if self._first_audio_at is None:
            self._first_audio_at = now
        self._last_audio_at = now
        rate = self._sample_rate()
        spoken = SpokenPiece(self._chunks, text, samples, rate, round((now - start) * 1000, 1), cached)
        self._chunks += 1
        self._parts.extend((samples, np.zeros(int(rate * _GAP_S), dtype=np.float32)))
        await self._on_piece(spoken)


def _ms(start: float | None, end: float | None) -> float:
    return round((end - start) * 1000, 1) if start is not None and end is not None else 0.0

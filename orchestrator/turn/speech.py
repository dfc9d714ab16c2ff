"""Text-to-speech: the reply is spoken piece by piece as the dialog hands it over, fixed phrases from a cache.

Each piece is emitted as a ``tts_chunk`` and handed to ``on_audio_chunk`` as
soon as it exists; ``finish`` waits for the last one and emits ``tts_audio``.
Every piece a verbatim phrase can be spoken as (the disclosure, the dialog's
fixed sentences) is kept in a small LRU cache once synthesized.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import numpy as np

from orchestrator.events import TTSAudio, TTSChunk
from orchestrator.nlu.spoken import speakable
from orchestrator.tts.base import TTS
from orchestrator.tts.chunking import split_for_speech, split_sentences
from orchestrator.tts.stream import SpeechStream, SpokenPiece
from orchestrator.turn.context import AudioChunkCallback, TurnContext

__all__ = ["Speech", "Spoken"]


@dataclass(frozen=True, slots=True)
class Spoken:
    """The whole reply's audio, and when its first piece was ready (ms since the turn's clock started)."""

    audio: np.ndarray
    sample_rate: int
    first_audio_ms: float


class Speech:
    """The TTS stage around one voice."""

    def __init__(self, tts: TTS, fixed_phrases: Iterable[str], *, cache_size: int = 256) -> None:
        self.tts = tts
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # Every piece a verbatim phrase can be spoken as: first in a reply (its first
        # sentence may be cut at a clause) or later in one (whole sentences).
        self._fixed = {
            piece for phrase in fixed_phrases for piece in (*split_for_speech(phrase), *split_sentences(phrase))
        }

    def warm_up(self) -> None:
        """Synthesize every fixed piece into the cache."""
        for piece in sorted(self._fixed):
            self._synthesize(speakable(piece), cache=True)

    def forget(self) -> None:
        """Empty the synthesised-phrase cache (the bench measures first pieces made afresh)."""
        self._cache.clear()

    @property
    def fixed_pieces(self) -> frozenset[str]:
        """Every piece a fixed phrase can be spoken as (what ``warm_up`` caches)."""
        return frozenset(self._fixed)

    def _synthesize(self, text: str, cache: bool) -> tuple[np.ndarray, bool]:
        key = f"{self.tts.name}\x00{text}"
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit, True
        samples = self.tts.synthesize(text)
        if cache:
            self._cache[key] = samples
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return samples, False

    @contextlib.asynccontextmanager
    async def open(self, ctx: TurnContext, on_audio_chunk: AudioChunkCallback | None) -> AsyncIterator[SpeechStream]:
        """A stream that speaks what is put into it; it stops speaking when the block is left early."""

        def synthesize(piece: str) -> tuple[np.ndarray, bool]:
            return self._synthesize(speakable(piece), piece in self._fixed)

        async def on_piece(piece: SpokenPiece) -> None:
            ctx.emit(TTSChunk(
                index=piece.index, text=piece.text, ms=piece.ms,
                audio_s=round(len(piece.samples) / piece.sample_rate, 3), cached=piece.cached,
            ))
            if on_audio_chunk is not None:
                await on_audio_chunk(piece.index, piece.samples, piece.sample_rate)

        stream = SpeechStream(synthesize, lambda: self.tts.sample_rate, on_piece, voice=self.tts.name)
        try:
            yield stream
        finally:
            await stream.cancel()

    async def finish(self, ctx: TurnContext, stream: SpeechStream) -> Spoken:
        """Wait for the last piece and emit ``tts_audio``."""
        ctx.stage = "tts"
        spoken = await stream.finish()
        ctx.timings["tts_first_audio"] = spoken.first_audio_ms
        ctx.timings["tts"] = spoken.total_ms
        ctx.emit(TTSAudio(
            first_audio_ms=spoken.first_audio_ms,
            total_ms=spoken.total_ms,
            audio_s=round(len(spoken.audio) / spoken.sample_rate, 3),
            chunks=spoken.chunks,
            sample_rate=spoken.sample_rate,
            backend=self.tts.name,
        ))
        first = spoken.first_audio_at
        first_ms = round((first - ctx.started) * 1000.0, 1) if first is not None else 0.0
        return Spoken(spoken.audio, spoken.sample_rate, first_ms)


"""The speech-to-text contract: one method, ``transcribe``, with word timings on request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from orchestrator.registry import Registry

__all__ = ["STT", "STT_BACKENDS", "Transcription", "Word"]


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a transcript and when it was said, in seconds from the start of the samples heard."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Transcription:
    """What a backend heard. ``words``: the words of ``text`` in order with their timings, when asked for
    (empty when not asked, or when the backend cannot tell). ``no_speech``: the backend's own estimate
    that the audio held no speech at all (Whisper's no-speech token; 0.0 when it cannot tell)."""

    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    no_speech: float = 0.0


@runtime_checkable
class STT(Protocol):
    """A speech recogniser. ``samples`` is 16 kHz mono float32 in [-1, 1].

    Implementations are blocking and thread-safe enough to be called from a
    worker thread; the pipeline handles timing, events and errors.
    """

    name: str

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        """Return the transcript of one utterance; with ``words``, its word timings too (slower)."""
        ...


STT_BACKENDS: Registry[STT] = Registry("STT", "VOICEBOT_STT")

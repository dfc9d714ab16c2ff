"""The speech-to-text contract: one method, ``transcribe``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from orchestrator.registry import Registry

__all__ = ["STT", "STT_BACKENDS", "Transcription"]


@dataclass(frozen=True, slots=True)
class Transcription:
    """What a backend heard."""

    text: str
    confidence: float


@runtime_checkable
class STT(Protocol):
    """A speech recogniser. ``samples`` is 16 kHz mono float32 in [-1, 1].

    Implementations are blocking and thread-safe enough to be called from a
    worker thread; the pipeline handles timing, events and errors.
    """

    name: str

    def transcribe(self, samples: np.ndarray) -> Transcription:
        """Return the transcript of one utterance."""
        ...


STT_BACKENDS: Registry[STT] = Registry("STT", "VOICEBOT_STT")

"""What one turn gives back to its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator.events import Event

__all__ = ["TurnResult"]


@dataclass
class TurnResult:
    """Everything one turn produced (already redacted)."""

    session_id: str
    turn: int
    user_text: str
    transcript: str | None
    confidence: float | None
    reply: str
    intent: str
    slots: dict[str, Any]
    state: str
    figures: dict[str, str]
    timings_ms: dict[str, float]
    voice_to_voice_ms: float | None
    audio: np.ndarray
    sample_rate: int
    events: list[Event] = field(default_factory=list)

    def wav_bytes(self) -> bytes:
        """The reply as a mono 16-bit WAV."""
        return audio_mod.encode_wav(self.audio, self.sample_rate)

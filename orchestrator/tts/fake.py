"""Fake TTS: a quiet tone whose length follows the text, for fast tests and demos."""

from __future__ import annotations

import numpy as np

from orchestrator.config import Settings
from orchestrator.tts.base import TTS_BACKENDS

__all__ = ["FakeTTS"]


class FakeTTS:
    """Speaks every text as a 440 Hz tone, 50 ms per character (capped at 10 s)."""

    name = "fake"

    def __init__(self, sample_rate: int = 16_000, seconds_per_char: float = 0.05) -> None:
        self.sample_rate = sample_rate
        self._seconds_per_char = seconds_per_char
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> np.ndarray:
        """Record the text and return a tone."""
        self.spoken.append(text)
        seconds = min(10.0, max(0.1, len(text) * self._seconds_per_char))
        t = np.arange(int(seconds * self.sample_rate), dtype=np.float32) / self.sample_rate
        return (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


@TTS_BACKENDS.register("fake")
def _create(settings: Settings) -> FakeTTS:
    return FakeTTS()

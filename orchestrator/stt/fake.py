"""Scripted STT: returns queued transcripts in order, for tests and demos."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

import numpy as np

from orchestrator.config import Settings
from orchestrator.stt.base import STT_BACKENDS, Transcription

__all__ = ["FakeSTT"]


class FakeSTT:
    """Hears whatever is scripted. When the script runs out, repeats the last line."""

    name = "fake"

    def __init__(self, script: Iterable[str] = ("hello",), confidence: float = 0.99) -> None:
        self._script: deque[str] = deque(script)
        self._last = self._script[-1] if self._script else ""
        self._confidence = confidence
        self._lock = threading.Lock()
        self.calls: list[int] = []

    def enqueue(self, *texts: str) -> None:
        """Queue more transcripts."""
        with self._lock:
            self._script.extend(texts)

    def transcribe(self, samples: np.ndarray) -> Transcription:
        """Pop the next scripted transcript (the audio is only counted)."""
        with self._lock:
            self.calls.append(int(samples.size))
            if self._script:
                self._last = self._script.popleft()
            return Transcription(text=self._last, confidence=self._confidence)


@STT_BACKENDS.register("fake")
def _create(settings: Settings) -> FakeSTT:
    return FakeSTT([t.strip() for t in settings.fake_transcripts.split("|")])

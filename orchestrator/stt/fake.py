"""Scripted STT: returns queued transcripts in order, for tests and demos.

Asked for word timings, it spreads the words over the audio it was given,
each taking a share as long as its text: what a recogniser would say of a
steady speaker.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

import numpy as np

from orchestrator.audio import TARGET_RATE
from orchestrator.config import Settings
from orchestrator.stt.base import STT_BACKENDS, Transcription, Word

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

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        """Pop the next scripted transcript (the audio is only counted)."""
        with self._lock:
            self.calls.append(int(samples.size))
            if self._script:
                self._last = self._script.popleft()
            text = self._last
        timed = _spread(text, samples.size / TARGET_RATE) if words else ()
        return Transcription(text=text, confidence=self._confidence, words=timed)


def _spread(text: str, seconds: float) -> tuple[Word, ...]:
    """The words of ``text`` laid end to end over ``seconds``, each in proportion to its length."""
    tokens = text.split()
    total = sum(len(t) for t in tokens)
    out, at = [], 0.0
    for token in tokens:
        length = seconds * len(token) / total
        out.append(Word(token, round(at, 4), round(at + length, 4)))
        at += length
    return tuple(out)


@STT_BACKENDS.register("fake")
def _create(settings: Settings) -> FakeSTT:
    return FakeSTT([t.strip() for t in settings.fake_transcripts.split("|")])

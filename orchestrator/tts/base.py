"""The text-to-speech contract: one method, ``synthesize``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from orchestrator.registry import Registry

__all__ = ["TTS", "TTS_BACKENDS"]


@runtime_checkable
class TTS(Protocol):
    """A voice. ``synthesize`` speaks one short piece of text (a sentence or clause).

    It returns mono float32 samples in [-1, 1] at ``sample_rate``. The
    pipeline splits replies, times each call and emits the events.
    """

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``; blocking."""
        ...


TTS_BACKENDS: Registry[TTS] = Registry("TTS", "VOICEBOT_TTS")

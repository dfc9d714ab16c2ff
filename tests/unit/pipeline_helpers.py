"""Shared by the pipeline's tests: the issue's example, the first greeting, a card number, speech, fakes that fail."""

from __future__ import annotations

import numpy as np

from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.dialog.phrases import GREETING
from orchestrator.errors import BackendError
from orchestrator.stt.base import Transcription
from orchestrator.tts.fake import FakeTTS
from tests.unit.helpers import silence, tone, wav_bytes

__all__ = [
    "CARD", "CARD_DIGITS", "FIRST_GREETING", "ISSUE_EXAMPLE", "BrokenTTS", "ExplodingSTT", "speech_wav", "types",
]

ISSUE_EXAMPLE = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"
FIRST_GREETING = f"{AI_DISCLOSURE} {GREETING}"  # the first reply of a session opens with the disclosure
CARD = "4111 1111 1111 1111"
CARD_DIGITS = CARD.replace(" ", "")


def speech_wav(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """A tone with half a second of silence either side: 'speech' as far as the pipeline can tell."""
    return wav_bytes(np.concatenate([silence(0.5, rate), tone(seconds, rate, amp=0.3), silence(0.5, rate)]), rate)


def types(events) -> list[str]:
    return [e.type for e in events]



class ExplodingSTT:
    """Raises ``error`` on the first ``failures`` calls, then hears ``text``."""

    name = "exploding"

    def __init__(self, error: Exception, failures: int = 1, text: str = "hello") -> None:
        self.error = error
        self.failures = failures
        self.text = text

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return Transcription(text=self.text, confidence=0.9)


class BrokenTTS(FakeTTS):
    name = "broken"

    def synthesize(self, text: str) -> np.ndarray:
        raise BackendError("voice crashed", stage="tts")


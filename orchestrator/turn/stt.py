"""Speech-to-text: the recogniser hears the trimmed speech, or a transcript already made for it is used."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from orchestrator.errors import SilentAudioError
from orchestrator.events import Transcript
from orchestrator.stt.base import STT
from orchestrator.turn.context import TurnContext, ms_since
from orchestrator.turn.input import CallerAudio

__all__ = ["Heard", "SpeechToText"]


@dataclass(frozen=True, slots=True)
class Heard:
    """What the caller said (redacted) and how sure the recogniser was."""

    text: str
    confidence: float


class SpeechToText:
    """The STT stage around one recogniser."""

    def __init__(self, stt: STT) -> None:
        self.stt = stt

    async def run(self, ctx: TurnContext, audio: CallerAudio) -> Heard:
        """Transcribe (unless ``audio.transcript`` is given), emit ``transcript``; ``SilentAudioError`` if no words."""
        ctx.stage = "stt"
        start = time.perf_counter()
        result = audio.transcript
        if result is None:
            result = await asyncio.to_thread(self.stt.transcribe, audio.speech)
        ctx.timings["stt"] = ms_since(start)
        event = ctx.emit(Transcript(
            text=result.text, confidence=round(result.confidence, 4), ms=ctx.timings["stt"], backend=self.stt.name,
        ))
        if not result.text.strip():
            # Never drop a turn silently: say why there is no answer.
            raise SilentAudioError("no words were recognised in the audio; please speak again")
        ctx.user_text = event.text
        return Heard(event.text, result.confidence)

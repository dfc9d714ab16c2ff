"""Speech-to-text: the recogniser hears the trimmed speech, or a transcript already made for it is used."""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass

from orchestrator.errors import SilentAudioError
from orchestrator.events import Transcript
from orchestrator.stt.base import STT, Transcription
from orchestrator.turn.context import TurnContext, ms_since
from orchestrator.turn.input import CallerAudio

__all__ = ["Heard", "SpeechToText"]


@dataclass(frozen=True, slots=True)
class Heard:
    """What the caller said (redacted) and how sure the recogniser was.

    ``timed``: the raw transcription (with word timings unless it was made before the turn), only when
    the turn's recording may be kept: it places personal data in the audio, and never leaves the turn.
    """

    text: str
    confidence: float
    timed: Transcription | None = None


class SpeechToText:
    """The STT stage around one recogniser."""

    def __init__(self, stt: STT) -> None:
        self.stt = stt

    async def run(self, ctx: TurnContext, audio: CallerAudio) -> Heard:
        """Transcribe (unless ``audio.transcript`` is given), emit ``transcript``; ``SilentAudioError`` if no words.

        A turn whose recording may be kept asks for word timings (slower), so its personal data can be
        silenced.
        """
        ctx.stage = "stt"
        start = time.perf_counter()
        result = audio.transcript
        timed = audio.recording is not None
        if result is None:
            if timed:
                result = await asyncio.to_thread(functools.partial(self.stt.transcribe, audio.speech, words=True))
            else:
                result = await asyncio.to_thread(self.stt.transcribe, audio.speech)
        ctx.timings["stt"] = ms_since(start)
        event = ctx.emit(Transcript(
            text=result.text, confidence=round(result.confidence, 4), ms=ctx.timings["stt"], backend=self.stt.name,
        ))
        if not result.text.strip():
            # Never drop a turn silently: say why there is no answer.
            raise SilentAudioError("no words were recognised in the audio; please speak again")
        ctx.user_text = event.text
        return Heard(event.text, result.confidence, result if timed else None)

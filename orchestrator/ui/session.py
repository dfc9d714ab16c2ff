"""One browser chat: its session id, its microphone buffer, and turn outcomes.

The Chainlit handlers only forward UI events here and render what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from orchestrator.errors import VoicebotError
from orchestrator.pipeline import AudioInput, Pipeline, TurnResult
from orchestrator.sessions.ids import new_session_id
from orchestrator.ui.present import StepView, steps_for

__all__ = ["MIC_SAMPLE_RATE", "ChatSession", "TurnOutcome"]

# Chainlit 2.12 streams the microphone as mono int16 at 24 kHz, whatever config.toml says.
MIC_SAMPLE_RATE = 24_000

WELCOME = (
    "**VoiceBot Workbench** is ready. Type a message, or click the microphone and speak. "
    "Try: *I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.*"
)


@dataclass
class TurnOutcome:
    """What the UI renders for one turn: steps plus the reply, or a friendly error."""

    steps: list[StepView]
    reply: str | None = None
    wav: bytes | None = None
    error: str | None = None
    result: TurnResult | None = field(default=None, repr=False)


class ChatSession:
    """State of one browser chat."""

    def __init__(self, pipeline: Pipeline, session_id: str | None = None) -> None:
        self.pipeline = pipeline
        self.session_id = session_id or new_session_id()
        self._recording = bytearray()
        self._max_bytes = int(pipeline.settings.max_audio_seconds * MIC_SAMPLE_RATE * 2)
        self._overflow = False

    @property
    def welcome(self) -> str:
        """The first message of the chat."""
        return WELCOME

    def start_recording(self) -> None:
        """Forget any previous recording."""
        self._recording.clear()
        self._overflow = False

    def add_chunk(self, data: bytes) -> None:
        """Append one pcm16 chunk; past the duration limit, remember the overflow instead."""
        if len(self._recording) + len(data) > self._max_bytes:
            self._overflow = True
            return
        self._recording.extend(data)

    async def audio_turn(self) -> TurnOutcome:
        """Run a turn on what the microphone recorded."""
        if self._overflow:
            limit = self.pipeline.settings.max_audio_seconds
            self.start_recording()
            message = f"That recording is longer than the {limit:.0f} s limit. Please keep it shorter."
            return TurnOutcome(steps=[], error=message)
        pcm = bytes(self._recording)
        self.start_recording()
        return await self._run(audio=AudioInput(pcm=pcm, sample_rate=MIC_SAMPLE_RATE))

    async def file_turn(self, path: Path) -> TurnOutcome:
        """Run a turn on an uploaded audio file."""
        return await self._run(audio=path)

    async def text_turn(self, text: str) -> TurnOutcome:
        """Run a turn on typed text."""
        return await self._run(text=text)

    async def _run(self, **kwargs: object) -> TurnOutcome:
        try:
            result = await self.pipeline.run_turn(self.session_id, **kwargs)  # type: ignore[arg-type]
        except VoicebotError as exc:
            return TurnOutcome(steps=steps_for(list(exc.turn_events)), error=exc.message)
        except Exception:  # keep the app serving whatever happened
            logger.exception("turn failed unexpectedly in session {}", self.session_id)
            return TurnOutcome(steps=[], error="Something went wrong on our side; the turn was not completed.")
        return TurnOutcome(steps=steps_for(result.events), reply=result.reply, wav=result.wav_bytes(), result=result)

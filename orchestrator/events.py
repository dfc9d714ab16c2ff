"""The one event vocabulary: every fact about a turn is one of these.

Logs, UI steps, the CLI's output, replay and metrics are all derived from
this stream. Each event is a pydantic model with a ``type`` literal; the
``Event`` union is discriminated on it, so ``parse_event`` gets back the
right class from a JSON line.

A turn emits, in order::

    turn_started
    audio_received          (audio turns only)
    transcript              (audio turns only)
    dialog_reply
    tts_chunk ...           (one per spoken sentence or clause)
    tts_audio               (the totals for the turn)
    turn_ended
    error                   (instead of the remaining stages, then turn_ended)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "AudioReceived",
    "DialogReply",
    "ErrorEvent",
    "Event",
    "EventBase",
    "Stage",
    "TTSAudio",
    "TTSChunk",
    "Transcript",
    "TurnEnded",
    "TurnStarted",
    "parse_event",
]

Stage = Literal["input", "audio", "stt", "dialog", "tts", "pipeline"]


def _now() -> datetime:
    return datetime.now(UTC)


class EventBase(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str
    turn: int = Field(ge=0)
    # Wall-clock time for humans and log filters; monotonic seconds for durations.
    wall_time: datetime = Field(default_factory=_now)
    mono_time: float = Field(default_factory=time.monotonic)


class TurnStarted(EventBase):
    """A turn began; says which input kind and which backends serve it."""

    type: Literal["turn_started"] = "turn_started"
    input_kind: Literal["text", "audio"]
    backends: dict[str, str]


class AudioReceived(EventBase):
    """Caller audio decoded: its source format and what is left after trimming."""

    type: Literal["audio_received"] = "audio_received"
    duration_s: float
    sample_rate: int
    channels: int
    speech_s: float
    ms: float
    # File name (under VOICEBOT_HOME/audio) of the caller's audio as heard, kept for replays.
    recording: str | None = None


class Transcript(EventBase):
    """Speech-to-text result."""

    type: Literal["transcript"] = "transcript"
    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    ms: float
    backend: str


class DialogReply(EventBase):
    """The dialog step's answer, with its understanding of the caller."""

    type: Literal["dialog_reply"] = "dialog_reply"
    user_text: str
    text: str
    intent: str
    slots: dict[str, Any]
    state: str
    ms: float
    backend: str
    # Figures quoted in ``text`` (payment, apr, total, ...) as strings of Decimals.
    figures: dict[str, str] = Field(default_factory=dict)


class TTSChunk(EventBase):
    """One synthesized piece of the reply (a sentence or a leading clause)."""

    type: Literal["tts_chunk"] = "tts_chunk"
    index: int = Field(ge=0)
    text: str
    ms: float
    audio_s: float
    # True when the audio came from the fixed-phrase cache instead of the voice.
    cached: bool = False


class TTSAudio(EventBase):
    """Totals for the turn's speech output."""

    type: Literal["tts_audio"] = "tts_audio"
    first_audio_ms: float
    total_ms: float
    audio_s: float
    chunks: int
    sample_rate: int
    backend: str


class ErrorEvent(EventBase):
    """A stage failed; the turn ends without the stages after it."""

    type: Literal["error"] = "error"
    stage: Stage
    category: str
    message: str
    retryable: bool


class TurnEnded(EventBase):
    """A turn finished, successfully or not, with its per-stage timings."""

    type: Literal["turn_ended"] = "turn_ended"
    ok: bool
    total_ms: float
    timings_ms: dict[str, float]
    # End of the caller's audio (or text) to the first reply audio being ready.
    voice_to_voice_ms: float | None = None


Event = Annotated[
    TurnStarted
    | AudioReceived
    | Transcript
    | DialogReply
    | TTSChunk
    | TTSAudio
    | ErrorEvent
    | TurnEnded,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Rebuild a typed event from a JSON line or a dict."""
    if isinstance(data, dict):
        return _ADAPTER.validate_python(data)
    return _ADAPTER.validate_json(data)

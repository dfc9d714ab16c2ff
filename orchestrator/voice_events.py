"""The events about the caller's voice itself: whether it may be kept, and what was kept.

Part of the one vocabulary: :mod:`orchestrator.events` joins these into ``Event`` and ``PLACES``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.eventbase import EventBase

__all__ = ["ConsentChanged", "RecordingOutcome", "RecordingStored", "SilencedSpan"]

# What became of a turn's recording: kept as heard (no personal data in it), kept with its personal data
# silenced, or not kept: the data could not be placed in time, the check still heard digits of it, or
# the check itself failed.
RecordingOutcome = Literal["clean", "silenced", "unlocated", "digits_heard", "check_failed"]


class ConsentChanged(EventBase):
    """The caller settled whether their voice is kept: an answer to the recording question, or a withdrawal.

    ``deleted_recordings``: how many kept recordings of this caller were deleted (a refusal or withdrawal).
    """

    type: Literal["consent_changed"] = "consent_changed"
    consent: bool
    how: Literal["answer", "withdrawal"]
    deleted_recordings: int = Field(default=0, ge=0)


class SilencedSpan(BaseModel):
    """A stretch of a kept recording that was silenced: milliseconds from the start of the file, and what it hid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    kind: str


class RecordingStored(EventBase):
    """The caller's audio of this turn, which policy allowed to keep: kept (``file``), or not, and why.

    Personal data in it is silenced first, at the times Whisper's word timestamps give, and the silenced
    file is transcribed again and checked by the independent oracle (``orchestrator.leakscan``): it is
    kept only when the oracle finds nothing. ``spans`` say where the silence is, never what it hid.
    """

    type: Literal["recording_stored"] = "recording_stored"
    kept: bool
    outcome: RecordingOutcome
    file: str | None = None  # file name under VOICEBOT_HOME/audio
    spans: list[SilencedSpan] = Field(default_factory=list)
    ms: float  # locating, silencing, the check and the write

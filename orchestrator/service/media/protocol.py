"""The media WebSocket's messages, in the shape of Twilio Media Streams.

From the gateway (the call's side)::

    {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    {"event": "start", "sequenceNumber": "1", "streamSid": "MZ..",
     "start": {"streamSid": "MZ..", "callSid": "CA..", "tracks": ["inbound"],
               "customParameters": {"session_id": "call-0042", "api_key": "vbk-..."},
               "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}
    {"event": "media", "streamSid": "MZ..", "media": {"track": "inbound", "chunk": "1",
                                                       "timestamp": "20", "payload": "<base64 μ-law>"}}
    {"event": "mark", "streamSid": "MZ..", "mark": {"name": "..."}}
    {"event": "stop", "streamSid": "MZ..", "stop": {"callSid": "CA.."}}

To the gateway: ``media`` (the bot's voice, base64 μ-law 8 kHz), a ``mark``
after each spoken piece (the gateway echoes it once that audio has played)
and ``clear`` to drop audio not yet played (barge-in). A gateway's ``mark``
whose name the bot never sent marks the end of the caller's utterance.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

__all__ = [
    "MU_LAW",
    "Connected",
    "Dtmf",
    "Inbound",
    "Mark",
    "Media",
    "ProtocolError",
    "Start",
    "Stop",
    "clear_message",
    "mark_message",
    "media_message",
    "parse_message",
]

MU_LAW = "audio/x-mulaw"
# One base64 payload at most this long (about 6 s of 8 kHz μ-law): a frame is normally 20 ms.
MAX_PAYLOAD_CHARS = 64_000


class ProtocolError(ValueError):
    """A message the socket cannot accept."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sequence_number: str | None = Field(default=None, alias="sequenceNumber")
    stream_sid: str | None = Field(default=None, alias="streamSid")


class Connected(_Message):
    """The first message: which protocol follows."""

    event: Literal["connected"]
    protocol: str = "Call"
    version: str = "1.0.0"


class MediaFormat(BaseModel):
    """The caller audio's encoding; only μ-law at 8 kHz mono is accepted."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    encoding: str = MU_LAW
    sample_rate: int = Field(default=8000, alias="sampleRate")
    channels: int = 1


class StartInfo(BaseModel):
    """The stream's metadata."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    stream_sid: str | None = Field(default=None, alias="streamSid")
    account_sid: str | None = Field(default=None, alias="accountSid")
    call_sid: str | None = Field(default=None, alias="callSid")
    tracks: list[str] = Field(default_factory=lambda: ["inbound"])
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")
    media_format: MediaFormat = Field(default_factory=MediaFormat, alias="mediaFormat")

    @field_validator("custom_parameters", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class Start(_Message):
    """Sent once, after ``connected``."""

    event: Literal["start"]
    start: StartInfo


class MediaChunk(BaseModel):
    """One piece of caller audio."""

    model_config = ConfigDict(extra="ignore")

    track: str = "inbound"
    chunk: str | None = None
    timestamp: str | None = None
    payload: str = Field(max_length=MAX_PAYLOAD_CHARS)

    def audio(self) -> bytes:
        """The μ-law bytes."""
        try:
            return base64.b64decode(self.payload, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("media payload is not base64") from None


class Media(_Message):
    """Caller audio."""

    event: Literal["media"]
    media: MediaChunk


class MarkInfo(BaseModel):
    """A mark's name."""

    name: str = Field(min_length=1, max_length=200)


class Mark(_Message):
    """An echo of a bot mark (that audio has played), or the caller's end of utterance."""

    event: Literal["mark"]
    mark: MarkInfo


class Dtmf(_Message):
    """A key press (noted, not acted on)."""

    event: Literal["dtmf"]
    dtmf: dict[str, Any] = Field(default_factory=dict)


class Stop(_Message):
    """The stream ended."""

    event: Literal["stop"]
    stop: dict[str, Any] = Field(default_factory=dict)


Inbound = Annotated[Connected | Start | Media | Mark | Dtmf | Stop, Field(discriminator="event")]
_INBOUND: TypeAdapter[Inbound] = TypeAdapter(Inbound)


def parse_message(text: str) -> Connected | Start | Media | Mark | Dtmf | Stop:
    """One inbound message; ``ProtocolError`` for anything else."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ProtocolError("a message must be JSON") from None
    try:
        return _INBOUND.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProtocolError(f"bad message ({where}: {first['msg']})") from None


def media_message(stream_sid: str, mulaw_audio: bytes) -> dict[str, Any]:
    """Bot audio for the gateway to play."""
    return {"event": "media", "streamSid": stream_sid,
            "media": {"payload": base64.b64encode(mulaw_audio).decode("ascii")}}


def mark_message(stream_sid: str, name: str) -> dict[str, Any]:
    """A mark after audio: the gateway echoes it once everything before it has played."""
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def clear_message(stream_sid: str) -> dict[str, Any]:
    """Drop every bot audio message not yet played (the caller barged in)."""
    return {"event": "clear", "streamSid": stream_sid}

"""The hands-free stream's turn-taking events (``orchestrator.realtime``), each built here once.

The engine says what happened around the turns it starts; these build the events,
and ``TurnContext.emit_between_turns`` stamps and traces them like a turn's own.
"""

from __future__ import annotations

from typing import Literal

from orchestrator.events import Backchannel, Endpoint, Interrupted, NoiseSegment, Speculation, SpeechEnded

__all__ = ["backchannel", "endpoint", "interrupted", "noise", "speculation", "speech_ended"]


def speculation(
    reason: Literal["used", "speech_resumed", "superseded"], *, audio_ms: float, stt_ms: float | None = None
) -> Speculation:
    """Speech-to-text run during a pause: used at the endpoint, or dropped (and why)."""
    return Speculation(used=reason == "used", reason=reason, stt_ms=stt_ms, audio_ms=audio_ms)


def speech_ended(*, at_ms: float, speech_ms: float, pauses: int) -> SpeechEnded:
    """The caller's voice stopped and stayed stopped."""
    return SpeechEnded(at_ms=at_ms, speech_ms=speech_ms, pauses=pauses)


def endpoint(*, delay_ms: float, stop_ms: float, verdict: str, speculative: bool) -> Endpoint:
    """The caller's turn was ended ``delay_ms`` after the end of speech."""
    return Endpoint(delay_ms=delay_ms, stop_ms=stop_ms, verdict=verdict, speculative=speculative)


def noise(*, duration_ms: float, reason: str, text: str = "") -> NoiseSegment:
    """A stretch of sound that became no turn, and why."""
    return NoiseSegment(duration_ms=duration_ms, reason=reason, text=text)


def backchannel(*, text: str, duration_ms: float, paused_ms: float, confidence: float | None = None,
                no_speech: float | None = None) -> Backchannel:
    """A short "uh-huh" over the reply: playback paused, then carried on."""
    return Backchannel(text=text, duration_ms=duration_ms, paused_ms=paused_ms,
                       confidence=None if confidence is None else round(confidence, 3),
                       no_speech=None if no_speech is None else round(no_speech, 3))


def interrupted(*, heard_ms: float, heard_text: str, reply_ms: float, stop_ms: float) -> Interrupted:
    """The caller barged in: how much of the reply was heard, how fast playback stopped."""
    return Interrupted(heard_ms=heard_ms, heard_text=heard_text, reply_ms=reply_ms, stop_ms=stop_ms)

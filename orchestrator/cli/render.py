"""One-line renderings of events, shared by the log, monitor and replay commands."""

from __future__ import annotations

from orchestrator.events import (
    AudioReceived,
    Backchannel,
    CacheLookup,
    DialogReply,
    Endpoint,
    ErrorEvent,
    Event,
    Interrupted,
    LLMCall,
    NoiseSegment,
    Speculation,
    SpeechEnded,
    Transcript,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)
from orchestrator.logquery import event_level, event_stage

__all__ = ["event_line"]


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _what(event: Event) -> str:
    if isinstance(event, TurnStarted):
        return f"turn started ({event.input_kind})"
    if isinstance(event, AudioReceived):
        return f"{event.duration_s:.2f} s audio at {event.sample_rate} Hz, {event.speech_s:.2f} s speech, {event.ms} ms"
    if isinstance(event, Transcript):
        return f"heard {_clip(event.text)!r} (confidence {event.confidence:.2f}), {event.ms} ms"
    if isinstance(event, DialogReply):
        slots = ", ".join(f"{k}={v}" for k, v in event.slots.items()) or "-"
        return f"intent {event.intent}, state {event.state}, slots {slots}, {event.ms} ms: {_clip(event.text)!r}"
    if isinstance(event, LLMCall):
        outcome = "ok" if event.ok else (event.category or "failed")
        tools = f", tools {', '.join(event.tool_calls)}" if event.tool_calls else ""
        return f"{event.model} round {event.round} try {event.attempt}: {outcome}, {event.ms} ms{tools}"
    if isinstance(event, CacheLookup):
        similarity = f"{event.similarity:.2f}" if event.similarity is not None else "-"
        if event.cache_hit:
            return f"cache hit (similarity {similarity}), {event.ms_saved} ms saved, lookup {event.lookup_ms} ms"
        stored = ", answer stored" if event.stored else ""
        return f"cache miss: {event.reason} (best {similarity}), lookup {event.lookup_ms} ms{stored}"
    if isinstance(event, TTSChunk):
        return f"piece {event.index} {'cached' if event.cached else 'synthesised'} in {event.ms} ms"
    if isinstance(event, TTSAudio):
        return f"first audio {event.first_audio_ms} ms, {event.audio_s:.1f} s of speech, {event.total_ms} ms"
    if isinstance(event, ErrorEvent):
        return f"{event.category}: {event.message}{' (recovered)' if event.recovered else ''}"
    if isinstance(event, TurnEnded):
        return f"turn {'ended' if event.ok else 'FAILED'} in {event.total_ms} ms"
    return _hands_free(event) or event.type


def _hands_free(event: Event) -> str | None:
    if isinstance(event, SpeechEnded):
        return f"speech ended at {event.at_ms} ms after {event.speech_ms} ms ({event.pauses} pauses)"
    if isinstance(event, Endpoint):
        how = "speculative transcript" if event.speculative else "transcribed at the endpoint"
        return f"endpoint {event.delay_ms} ms after speech ({event.verdict}, stop {event.stop_ms} ms, {how})"
    if isinstance(event, Speculation):
        return f"speculation {event.reason} ({event.audio_ms} ms of audio, stt {event.stt_ms or '-'} ms)"
    if isinstance(event, NoiseSegment):
        return f"{event.duration_ms} ms of sound became no turn: {event.reason}"
    if isinstance(event, Backchannel):
        return f"backchannel {_clip(event.text)!r}: the reply paused {event.paused_ms} ms and carried on"
    if isinstance(event, Interrupted):
        return (f"barge-in: reply stopped {event.stop_ms} ms after the caller's onset, "
                f"{event.heard_ms} of {event.reply_ms} ms heard: {_clip(event.heard_text)!r}")
    return None


def event_line(event: Event, with_session: bool = True) -> str:
    """``09:31:02.123 INFO  s-1 #2 dialog  intent loan_quote, ...``."""
    stamp = event.wall_time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    who = f"{event.session_id} " if with_session else ""
    return f"{stamp} {event_level(event):<7} {who}#{event.turn} {event_stage(event):<6} {_what(event)}"

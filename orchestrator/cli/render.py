"""The CLI's drawing of a turn: one line per event, shared by the log, monitor and replay commands."""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator.events import (
    Backchannel,
    Endpoint,
    Event,
    Interrupted,
    NoiseSegment,
    Speculation,
    SpeechEnded,
    event_stage,
)
from orchestrator.logquery import event_level
from orchestrator.turnview import TurnView

__all__ = ["event_line", "view_lines"]


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _what(view: TurnView) -> Iterator[tuple[Event, str]]:
    """Each of the view's events with what it says, in pipeline order."""
    if (started := view.started) is not None:
        yield started, f"turn started ({started.input_kind})"
    if (audio := view.audio) is not None:
        speech_s = f"{audio.speech_s:.2f} s speech"
        yield audio, f"{audio.duration_s:.2f} s audio at {audio.sample_rate} Hz, {speech_s}, {audio.ms} ms"
    if (heard := view.heard) is not None:
        yield heard, f"heard {_clip(heard.text)!r} (confidence {heard.confidence:.2f}), {heard.ms} ms"
    for call in view.llm_calls:
        outcome = "ok" if call.ok else (call.category or "failed")
        tools = f", tools {', '.join(call.tool_calls)}" if call.tool_calls else ""
        yield call, f"{call.model} round {call.round} try {call.attempt}: {outcome}, {call.ms} ms{tools}"
    for error in view.errors:
        yield error, f"{error.category}: {error.message}{' (recovered)' if error.recovered else ''}"
    if (reply := view.reply) is not None:
        slots = ", ".join(f"{k}={v}" for k, v in reply.slots.items()) or "-"
        yield reply, f"intent {reply.intent}, state {reply.state}, slots {slots}, {reply.ms} ms: {_clip(reply.text)!r}"
    for piece in view.pieces:
        yield piece, f"piece {piece.index} {'cached' if piece.cached else 'synthesised'} in {piece.ms} ms"
    if (speech := view.speech) is not None:
        yield speech, f"first audio {speech.first_audio_ms} ms, {speech.audio_s:.1f} s of speech, {speech.total_ms} ms"
    if (cache := view.cache) is not None:
        similarity = f"{cache.similarity:.2f}" if cache.similarity is not None else "-"
        if cache.cache_hit:
            yield cache, f"cache hit (similarity {similarity}), {cache.ms_saved} ms saved, lookup {cache.lookup_ms} ms"
        else:
            stored = ", answer stored" if cache.stored else ""
            yield cache, f"cache miss: {cache.reason} (best {similarity}), lookup {cache.lookup_ms} ms{stored}"
    for event in view.listening:
        yield event, _hands_free(event)
    if (ended := view.ended) is not None:
        if ended.cut:
            yield ended, f"turn cut short in {ended.reached or 'its first stage'} after {ended.total_ms} ms"
        else:
            yield ended, f"turn {'ended' if ended.ok else 'FAILED'} in {ended.total_ms} ms"


def view_lines(view: TurnView, with_session: bool = True) -> list[str]:
    """``09:31:02.123 INFO  s-1 #2 dialog  intent loan_quote, ...``: one line per event of the view."""
    lines = []
    for event, what in _what(view):
        stamp = event.wall_time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        who = f"{event.session_id} " if with_session else ""
        lines.append(f"{stamp} {event_level(event):<7} {who}#{event.turn} {event_stage(event):<6} {what}")
    return lines


def _hands_free(event: Event) -> str:
    """What a hands-free turn-taking event says."""
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
    return event.type


def event_line(event: Event, with_session: bool = True) -> str:
    """One event's line (a log line is the view of that one event)."""
    (line,) = view_lines(TurnView.of([event]), with_session)
    return line

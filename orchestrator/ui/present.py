"""The browser's drawing of a turn: one step per stage (input, output, milliseconds), from its ``TurnView``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.events import (
    AudioReceived,
    CacheLookup,
    DialogReply,
    ErrorEvent,
    Event,
    LLMCall,
    Transcript,
    TTSAudio,
    TTSChunk,
)
from orchestrator.turnview import TurnView

__all__ = ["StepView", "steps_for", "view_steps"]


@dataclass(frozen=True, slots=True)
class StepView:
    """One stage as a UI step.

    ``name`` is unique within a turn (it becomes a DOM id) and uses only
    letters, digits, spaces, ``-`` and ``.``: Chainlit looks up an avatar by
    step name and rejects other characters with a 400.
    """

    name: str
    type: Literal["tool", "llm"]
    input: str
    output: str
    ms: float


def _fmt_ms(ms: float) -> str:
    return f"{ms:.0f} ms"


def _audio_step(event: AudioReceived) -> StepView:
    return StepView(
        name=f"Audio - {_fmt_ms(event.ms)}",
        type="tool",
        input=f"{event.duration_s:.2f} s at {event.sample_rate} Hz, {event.channels} channel(s)",
        output=f"{event.speech_s:.2f} s of speech after trimming silence, 16 kHz mono",
        ms=event.ms,
    )


def _stt_step(event: Transcript) -> StepView:
    return StepView(
        name=f"Speech-to-text - {_fmt_ms(event.ms)}",
        type="tool",
        input=f"caller audio ({event.backend})",
        output=f"{event.text}\n\nconfidence {event.confidence:.2f}",
        ms=event.ms,
    )


def _dialog_step(event: DialogReply) -> StepView:
    slots = ", ".join(f"{k}={v}" for k, v in event.slots.items()) or "none"
    return StepView(
        name=f"Dialog - {_fmt_ms(event.ms)}",
        type="llm",
        input=event.user_text,
        output=f"{event.text}\n\nintent: {event.intent} · state: {event.state} · slots: {slots}"
        + (f" · answered by: {event.source}" if event.source else "")
        + (f" · unbacked figures: {', '.join(event.flagged_figures)}" if event.flagged_figures else "")
        + (f" · adapter: {event.adapter}" if event.adapter else ""),
        ms=event.ms,
    )


def _llm_step(event: LLMCall) -> StepView:
    tokens = f"{event.prompt_tokens or 0} prompt + {event.completion_tokens or 0} completion tokens"
    outcome = "ok" if event.ok else f"failed: {event.category} (HTTP {event.status})" if event.status else (
        f"failed: {event.category}")
    return StepView(
        name=f"LLM call {event.model} - round {event.round}, try {event.attempt} - {_fmt_ms(event.ms)}",
        type="llm",
        input=", ".join(event.tool_calls) or "no tool calls",
        output=f"{outcome} · first token {_fmt_ms(event.first_token_ms or 0.0)} · {tokens}",
        ms=event.ms,
    )


def _tts_step(event: TTSAudio, pieces: list[TTSChunk]) -> StepView:
    listed = "\n".join(f"{c.index + 1}. {c.text} ({_fmt_ms(c.ms)}{', cached' if c.cached else ''})" for c in pieces)
    return StepView(
        name=f"Text-to-speech - first audio {_fmt_ms(event.first_audio_ms)} - total {_fmt_ms(event.total_ms)}",
        type="tool",
        input=listed,
        output=f"{event.audio_s:.2f} s of audio at {event.sample_rate} Hz ({event.backend})",
        ms=event.total_ms,
    )


def _error_step(event: ErrorEvent) -> StepView:
    name = f"{'Recovered from' if event.recovered else 'Error in'} {event.stage}"
    return StepView(name=name, type="tool", input=event.category, output=event.message, ms=0.0)


def _cache_step(event: CacheLookup) -> StepView:
    """The semantic cache's verdict: hit (with similarity and time saved) or miss, and why."""
    similarity = f"{event.similarity:.2f}" if event.similarity is not None else "none"
    if event.cache_hit:
        name = f"Semantic cache - hit {similarity} - saved {_fmt_ms(event.ms_saved)}"
        output = f"answered from entry {event.entry_id} without the dialog; reply audio reused when kept"
    else:
        name = f"Semantic cache - miss - {_fmt_ms(event.lookup_ms)}"
        output = f"{event.reason}; best similarity {similarity}" + (" · answer stored" if event.stored else "")
    return StepView(
        name=name,
        type="tool",
        input=f"threshold {event.threshold:.2f} · index {event.index or 'none'} · lookup {_fmt_ms(event.lookup_ms)}",
        output=output,
        ms=event.lookup_ms,
    )


def view_steps(view: TurnView) -> list[StepView]:
    """The steps of one turn, in pipeline order; a live turn's steps only ever grow at the end."""
    steps = [_audio_step(view.audio)] if view.audio is not None else []
    if view.heard is not None:
        steps.append(_stt_step(view.heard))
    steps += [_llm_step(call) for call in view.llm_calls]
    steps += [_error_step(error) for error in view.recovered]
    if view.reply is not None:
        steps.append(_dialog_step(view.reply))
    if view.speech is not None:
        steps.append(_tts_step(view.speech, view.pieces))
    if view.cache is not None:
        steps.append(_cache_step(view.cache))
    if view.error is not None:
        steps.append(_error_step(view.error))
    return steps


def steps_for(events: list[Event]) -> list[StepView]:
    """The steps of one turn's events."""
    return view_steps(TurnView.of(events))

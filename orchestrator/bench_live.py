"""The bench's live runs: the same clips played in as a caller on an open line, through the hands-free engine.

* ``endpointed``: each clip is fed in real time (20 ms chunks); the figure runs from the
  clip's true end of speech (its last loud sample, known from the file) to the first
  reply audio going out, the stop delay included. Questions split in two and clips that
  made no turn are counted.
* ``barge_in``: each clip is spoken over the reply to the one before,
  ``BARGE_AFTER_MS`` after that reply began to play; the figure runs from the clip's
  true speech onset to the playback stop being sent.

Every conversation opens with a greeting whose reply carries the cached disclosure; that
turn is reported on its own, never mixed into the figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from orchestrator.events import CacheLookup, TTSChunk
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.realtime.headless import HeadlessCall
from orchestrator.realtime.vad import SpeechDetector

__all__ = ["BARGE_AFTER_MS", "Clip", "LiveFigures", "barge_in", "endpointed", "first_piece_cached"]

# Past the 1.5 s in which a barge-in joins the question it follows (EngineConfig.join_ms).
BARGE_AFTER_MS = 1800.0


@dataclass(frozen=True)
class Clip:
    """A synthetic caller's utterance: its WAV, its 16 kHz samples and where the speech is in them."""

    text: str
    wav: bytes
    samples: np.ndarray
    speech_start_s: float
    speech_end_s: float


@dataclass
class LiveFigures:
    """What a live run measured, per clip (ms; None where the clip gave no figure)."""

    voice_to_voice: list[float | None]
    uncached: list[bool]
    endpoint_delay: list[float]
    to_endpoint: list[float]  # true end of speech -> endpoint decided (clock), the stop delay inside it
    after_endpoint: list[float]  # endpoint -> first reply audio out
    stages: list[dict[str, float]]  # each answered turn's own timings (stt ~0 on a speculative transcript)
    speculative: int = 0
    splits: int = 0
    dropped: int = 0
    interrupts: list[float] | None = None
    missed: int = 0  # barge-ins over a reply still playing that did not stop it
    reply_over_first: int = 0  # "barge-ins" whose speech began after the reply had played out: no stop due
    disclosure: dict[str, Any] | None = None


def first_piece_cached(result: TurnResult) -> bool:
    """Was the reply's first audio ready-made (a fixed phrase's cached audio, or a semantic-cache hit)?"""
    first = next((e for e in result.events if isinstance(e, TTSChunk) and e.index == 0), None)
    hit = any(isinstance(e, CacheLookup) and e.cache_hit for e in result.events)
    return hit or (first is not None and first.cached)


def _answered(turns: list[Any]) -> list[TurnResult]:
    return [t.outcome for t in turns if isinstance(t.outcome, TurnResult)]


async def _open(call: HeadlessCall, opener: Clip) -> dict[str, Any]:
    said = await call.say(opener.samples)
    await call.wait_quiet()
    results = _answered(said.turns)
    if not results:
        return {"answered": False}
    live = said.turns[0]
    first = call.out.first_sent_after(live.utterance.endpoint_at, live.track)
    end = said.feed.at(opener.speech_end_s)
    return {"answered": True, "first_piece_cached": first_piece_cached(results[0]),
            "endpointed_voice_to_voice_ms": round((first - end) * 1000, 1) if first is not None else None}


async def endpointed(
    pipeline: Pipeline, detector: SpeechDetector, opener: Clip, clips: list[Clip],
    progress: Callable[[], None] | None = None, before_turn: Callable[[], None] | None = None,
) -> LiveFigures:
    """Each clip in turn on one open line, the reply heard out before the next (``before_turn`` runs first)."""
    call = HeadlessCall(pipeline, "bench-live", detector)
    figures = LiveFigures([], [], [], [], [], [])
    figures.disclosure = await _open(call, opener)
    for clip in clips:
        if before_turn is not None:
            before_turn()
        said = await call.say(clip.samples)
        answered = [t for t in said.turns if isinstance(t.outcome, TurnResult)]
        figures.splits += len(said.turns) > 1
        figures.dropped += not said.turns
        if answered:
            live = answered[0]
            result = live.outcome
            end = said.feed.at(clip.speech_end_s)
            first = call.out.first_sent_after(live.utterance.endpoint_at, live.track)
            figures.voice_to_voice.append(round((first - end) * 1000, 1) if first is not None else None)
            figures.uncached.append(not first_piece_cached(result))
            figures.endpoint_delay.append(live.utterance.delay_ms)
            figures.to_endpoint.append(round((live.utterance.endpoint_at - end) * 1000, 1))
            if first is not None:
                figures.after_endpoint.append(round((first - live.utterance.endpoint_at) * 1000, 1))
            figures.stages.append(dict(result.timings_ms))
            figures.speculative += live.utterance.speculative
        await call.wait_quiet()
        if progress is not None:
            progress()
    await call.close()
    return figures


async def barge_in(
    pipeline: Pipeline, detector: SpeechDetector, opener: Clip, clips: list[Clip],
    progress: Callable[[], None] | None = None,
) -> LiveFigures:
    """Each clip spoken over the reply to the one before; the first clip only asks."""
    call = HeadlessCall(pipeline, "bench-barge", detector)
    figures = LiveFigures([], [], [], [], [], [], interrupts=[])
    figures.disclosure = await _open(call, opener)
    for index, clip in enumerate(clips):
        # The clip's speech (not its leading silence) starts BARGE_AFTER_MS into the reply.
        lead = BARGE_AFTER_MS - clip.speech_start_s * 1000.0
        reply_ends = call.player.ends_at()  # the reply before was made in full when its ``say`` returned
        said = await call.say(clip.samples, interrupt_after_ms=lead if index else None)
        figures.splits += len(said.turns) > 1
        figures.dropped += not said.turns
        if index:
            stop = call.out.first_stop_after(said.feed.started_at)
            onset = said.feed.at(clip.speech_start_s)
            assert figures.interrupts is not None
            if stop is None and reply_ends is not None and onset >= reply_ends:
                figures.reply_over_first += 1  # a reply shorter than the lead: nothing to interrupt
            elif stop is None:
                figures.missed += 1
            else:
                figures.interrupts.append(round((stop - onset) * 1000, 1))
        if progress is not None:
            progress()
    await call.close()
    await asyncio.sleep(0)
    return figures

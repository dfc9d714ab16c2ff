"""Simulated callers: N concurrent multi-turn conversations through one pipeline.

Each caller holds its own session and plays a banking conversation turn by
turn, as text or as pre-synthesized audio (the synthetic voice is made before
the clock starts, so the figures measure the bot, not the caller). The
caller's clock runs from sending a turn to the first reply audio: for an
audio caller that is voice-to-voice; for a text caller, time to first audio.
After a step every session is checked in the store, the JSONL log and the
audit chain, so a turn that went missing under load is counted, never hidden.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.audio import encode_wav
from orchestrator.audit import load_audit_key, verify_audit
from orchestrator.errors import VoicebotError
from orchestrator.events import TurnEnded
from orchestrator.nlu.spoken import speakable
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.ids import session_file
from orchestrator.trace import read_jsonl
from orchestrator.tts.base import TTS

__all__ = ["CONVERSATIONS", "StepResult", "TurnSample", "run_callers", "script_for", "synthesize_scripts"]

# Multi-turn banking calls; caller i plays conversation i % len, its turns cycling when T is longer.
CONVERSATIONS: tuple[tuple[str, ...], ...] = (
    ("Hello.", "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.", "Yes, please.",
     "What's the total interest?", "Repeat that.", "Thanks, goodbye."),
    ("Hi there.", "I want a loan of 12,000 dollars.", "Over 3 years.", "At 7.5 percent.", "Yes.",
     "Show me the schedule."),
    ("What can you do?", "How much would 40,000 dollars cost over 10 years at 4.25 percent?", "Yes, that's right.",
     "No, make it 35,000 dollars.", "Yes.", "Goodbye."),
    ("Good morning.", "I lost my card.", "What's my balance?", "I'd like to borrow 8,000 dollars over 2 years at "
     "9 percent.", "Yes please.", "That's all, thank you."),
)
_PAD_S = 0.3


def script_for(caller: int, turns: int) -> list[str]:
    """The ``turns`` utterances caller number ``caller`` says."""
    conversation = CONVERSATIONS[caller % len(CONVERSATIONS)]
    return [conversation[t % len(conversation)] for t in range(turns)]


def synthesize_scripts(voice: TTS, texts: set[str]) -> dict[str, bytes]:
    """Each distinct utterance spoken once by the caller voice, as a WAV with a little silence around it."""
    clips: dict[str, bytes] = {}
    for text in sorted(texts):
        samples = voice.synthesize(speakable(text))
        pad = np.zeros(int(voice.sample_rate * _PAD_S), dtype=np.float32)
        clips[text] = encode_wav(np.concatenate([pad, samples, pad]), voice.sample_rate)
    return clips


@dataclass
class TurnSample:
    """One caller turn as the caller saw it."""

    session_id: str
    turn: int
    ok: bool
    error_category: str | None
    caller_ms: float  # sent -> first reply audio (or -> the error)
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class StepResult:
    """Every turn of one step (one number of callers), plus what the stores say afterwards."""

    callers: int
    turns_per_caller: int
    wall_s: float
    samples: list[TurnSample]
    lost_turns: int = 0  # answered turns missing from the store's history
    log_missing: int = 0  # turns without a turn_ended event in the JSONL log
    audit_failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Samples and checks, JSON-ready (merged across worker processes)."""
        return {**asdict(self), "samples": [asdict(s) for s in self.samples]}


async def _caller(
    pipeline: Pipeline, session_id: str, script: list[str], clips: dict[str, bytes] | None
) -> list[TurnSample]:
    samples: list[TurnSample] = []
    for index, text in enumerate(script):
        sent = time.perf_counter()
        first: list[float] = []

        async def heard(_index: int, _samples: np.ndarray, _rate: int, first: list[float] = first) -> None:
            if not first:
                first.append(time.perf_counter())

        try:
            if clips is not None:
                result = await pipeline.run_turn(session_id, audio=clips[text], on_audio_chunk=heard)
            else:
                result = await pipeline.run_turn(session_id, text=text, on_audio_chunk=heard)
        except VoicebotError as exc:
            ms = (time.perf_counter() - sent) * 1000.0
            samples.append(TurnSample(session_id, index + 1, False, exc.category, round(ms, 1)))
            continue
        until = first[0] if first else time.perf_counter()
        timings = dict(result.timings_ms)
        if result.voice_to_voice_ms is not None:
            timings["voice_to_voice"] = result.voice_to_voice_ms
        samples.append(TurnSample(session_id, index + 1, True, None, round((until - sent) * 1000.0, 1), timings))
    return samples


def _verify(
    pipeline: Pipeline, logs_dir: Path, audit_dir: Path, samples: list[TurnSample]
) -> tuple[int, int, list[str]]:
    """(turns missing from the store, turns missing from the log, sessions whose audit chain fails)."""
    by_session: dict[str, list[TurnSample]] = {}
    for sample in samples:
        by_session.setdefault(sample.session_id, []).append(sample)
    lost = missing = 0
    audit: list[str] = []
    for sid, turns in by_session.items():
        state = pipeline.store.load(sid)
        answered = {s.turn for s in turns if s.ok}
        kept = {h.turn for h in state.history} if state is not None else set()
        lost += len(answered - kept)
        ended = {e.turn for e in read_jsonl(session_file(logs_dir, sid, ".jsonl")) if isinstance(e, TurnEnded)}
        missing += len({s.turn for s in turns} - ended)
        try:
            # The chains were written under the key of the home they live in.
            check = verify_audit(audit_dir, sid, load_audit_key(audit_dir.parent, create=False))
        except FileNotFoundError:
            audit.append(f"{sid}: no audit log")
            continue
        if not check.ok:
            audit.append(f"{sid}: line {check.bad_line}: {check.reason}")
    return lost, missing, audit


async def run_callers(
    pipeline: Pipeline,
    callers: int,
    turns: int,
    *,
    logs_dir: Path,
    audit_dir: Path,
    clips: dict[str, bytes] | None = None,
    first_caller: int = 0,
    on_turn: Callable[[], None] | None = None,
) -> StepResult:
    """``callers`` conversations of ``turns`` turns at once; ``clips`` makes them audio callers."""
    run_id = uuid.uuid4().hex[:8]
    loop = asyncio.get_running_loop()
    # Each caller has a turn in a worker thread at a time (store, STT, dialog, TTS): the default
    # pool (cores + 4 threads) would queue them behind one another before any model is reached.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2 * callers + 4, thread_name_prefix="load"))

    async def one(caller: int) -> list[TurnSample]:
        sid = f"load-{run_id}-{caller:04d}"
        got = await _caller(pipeline, sid, script_for(caller, turns), clips)
        if on_turn is not None:
            for _ in got:
                on_turn()
        return got

    started = time.perf_counter()
    results = await asyncio.gather(*(one(first_caller + c) for c in range(callers)))
    wall = time.perf_counter() - started
    samples = [s for got in results for s in got]
    lost, missing, audit = await asyncio.to_thread(_verify, pipeline, logs_dir, audit_dir, samples)
    return StepResult(callers, turns, wall, samples, lost, missing, audit)

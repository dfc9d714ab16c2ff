"""Whose voice is kept, and what of it: retention and consent decide; personal data said in it is silenced.

A kept recording is the turn's 16 kHz audio as decoded, except where the
caller said personal data: those words are placed in time by the
recogniser's word timings (``orchestrator.pii.audio``) and silenced. The
silenced audio is transcribed again by the same recogniser and read by the
independent oracle (``orchestrator.leakscan``, never the redactor); the file
is written only when the oracle finds nothing there and no digit of the
silenced numbers was heard again. The ``recording_stored`` event, built
here, says which it was.
"""

from __future__ import annotations

import asyncio
import re
import time

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator import leakscan
from orchestrator.config import Settings
from orchestrator.errors import BackendError
from orchestrator.events import RecordingOutcome, RecordingStored, SilencedSpan
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.pii import find_pii
from orchestrator.pii.audio import Silence, locate, silence
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.stt.base import STT, Transcription
from orchestrator.turn.context import TurnContext, ms_since

__all__ = ["forget", "keep", "may_keep", "store"]

_RATE = audio_mod.TARGET_RATE
_SHORTEST_RUN = 3  # a run of this many digits heard again that occurs in a silenced number is a leak


def may_keep(settings: Settings, state: SessionState) -> bool:
    """Keep this caller's voice? Only with the setting on and, by default, their consent given earlier.

    A caller who said no (or withdrew) is never kept, whatever the retention setting.
    """
    retention = settings.audio_retention
    if not settings.record_audio or retention == "off" or state.voice_consent is False:
        return False
    return retention == "all" or state.voice_consent is True


def keep(settings: Settings, session_id: str, turn: int, samples: np.ndarray) -> str:
    """Write ``samples`` as the turn's kept recording; returns the file name, built from the validated id."""
    path = session_file(settings.audio_dir, session_id, f"-t{turn:04d}-caller.wav")
    atomic_write_bytes(path, audio_mod.encode_wav(samples, _RATE))
    return path.name


def _digits(text: str) -> list[str]:
    return ["".join(run.digits) for run in leakscan.to_digit_runs(text)]


def _heard_again(raw: str, ranges: list[tuple[int, int]], again: str) -> bool:
    """Did the second hearing find personal data, more digits than the unsilenced words hold, or a silenced run?"""
    if leakscan.scan(again):
        return True
    outside, at = [], 0
    for start, end in ranges:
        outside.append(raw[at:start])
        at = end
    outside.append(raw[at:])
    heard = _digits(again)
    if sum(map(len, heard)) > sum(map(len, _digits(" ".join(outside)))):
        return True
    silenced = [digits for start, end in ranges for digits in _digits(raw[start:end])]
    return any(run[k : k + _SHORTEST_RUN] in number for run in heard for number in silenced
               for k in range(len(run) - _SHORTEST_RUN + 1))


def _redact(
    stt: STT, samples: np.ndarray, speech: tuple[int, int], heard: Transcription
) -> tuple[RecordingOutcome, list[Silence], np.ndarray | None]:
    """What to keep of ``samples``: the outcome, the silenced ranges and the audio to write (None: nothing)."""
    if not find_pii(heard.text):
        return "clean", [], samples
    first, last = speech
    if not heard.words:  # heard during the caller's pause, without timings: hear it again with them
        try:
            heard = stt.transcribe(samples[first:last], words=True)
        except BackendError:
            return "check_failed", [], None
    spans = locate(heard.text, heard.words, (last - first) / _RATE, offset=first, rate=_RATE)
    if spans is None:
        return "unlocated", [], None
    if not spans:
        return "clean", [], samples
    quiet = silence(samples, spans)
    # The check hears exactly what is stored: the 16-bit WAV, trimmed as any turn is.
    stored = audio_mod.decode_audio(audio_mod.encode_wav(quiet, _RATE)).samples
    try:
        again = stt.transcribe(audio_mod.trim_silence(stored))
    except BackendError:
        return "check_failed", spans, None
    # The redactor's spans only say which characters were hidden; the verdict is the oracle's.
    hidden = [(start, end) for start, end, _kind in find_pii(heard.text)]
    if _heard_again(heard.text, hidden, again.text):
        return "digits_heard", spans, None
    return "silenced", spans, quiet


async def store(
    ctx: TurnContext, settings: Settings, stt: STT, samples: np.ndarray, speech: tuple[int, int], heard: Transcription
) -> str | None:
    """Keep the turn's recording with its personal data silenced, or not at all; emit ``recording_stored``.

    ``samples``: the turn's decoded audio; ``speech``: the sample range of it the recogniser heard;
    ``heard``: the raw transcription of that range, with word timings. Returns the kept file's name.
    """
    ctx.stage = "audio"
    start = time.perf_counter()

    def work() -> tuple[RecordingOutcome, list[Silence], str | None]:
        outcome, spans, audio = _redact(stt, samples, speech, heard)
        name = keep(settings, ctx.session_id, ctx.turn, audio) if audio is not None else None
        return outcome, spans, name

    outcome, spans, name = await asyncio.to_thread(work)
    ctx.emit(RecordingStored(
        kept=name is not None, outcome=outcome, file=name, ms=ms_since(start),
        # Whole milliseconds inside the silence: every one of them is silent in the file.
        spans=[SilencedSpan(start_ms=-(-s.start * 1000 // _RATE), end_ms=s.end * 1000 // _RATE, kind=s.kind)
               for s in spans],
    ))
    return name


def forget(settings: Settings, state: SessionState) -> list[str]:
    """Delete every kept recording of this caller (the session's history forgets them too); their names."""
    sid = validate_session_id(state.session_id)
    mine = re.compile(rf"{re.escape(sid)}-t\d+-caller\.wav")
    deleted = []
    for path in sorted(settings.audio_dir.glob(f"{sid}-t*-caller.wav")):
        if mine.fullmatch(path.name):
            path.unlink(missing_ok=True)
            deleted.append(path.name)
    for entry in state.history:
        entry.audio_file = None
    return deleted

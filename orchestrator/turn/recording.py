"""Whose voice is kept: the retention setting and the caller's consent decide; kept audio is a 16 kHz WAV."""

from __future__ import annotations

import re

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import session_file, validate_session_id

__all__ = ["forget", "keep", "may_keep"]


def may_keep(settings: Settings, state: SessionState) -> bool:
    """Keep this caller's voice? Only with the setting on and, by default, their consent given earlier.

    A caller who said no (or withdrew) is never kept, whatever the retention setting.
    """
    retention = settings.audio_retention
    if not settings.record_audio or retention == "off" or state.voice_consent is False:
        return False
    return retention == "all" or state.voice_consent is True


def keep(settings: Settings, session_id: str, turn: int, samples: np.ndarray) -> str:
    """Write the caller's audio (as decoded) for replays; returns the file name, built from the validated id."""
    path = session_file(settings.audio_dir, session_id, f"-t{turn:04d}-caller.wav")
    atomic_write_bytes(path, audio_mod.encode_wav(samples, audio_mod.TARGET_RATE))
    return path.name


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

"""Whose voice is kept: the retention setting and the caller's consent decide; kept audio is a 16 kHz WAV."""

from __future__ import annotations

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import session_file

__all__ = ["keep", "may_keep"]


def may_keep(settings: Settings, state: SessionState) -> bool:
    """Keep this caller's voice? Only with the setting on and, by default, their consent given earlier."""
    retention = settings.audio_retention
    if not settings.record_audio or retention == "off":
        return False
    return retention == "all" or state.voice_consent is True


def keep(settings: Settings, session_id: str, turn: int, samples: np.ndarray) -> str:
    """Write the caller's audio (as decoded) for replays; returns the file name, built from the validated id."""
    path = session_file(settings.audio_dir, session_id, f"-t{turn:04d}-caller.wav")
    atomic_write_bytes(path, audio_mod.encode_wav(samples, audio_mod.TARGET_RATE))
    return path.name

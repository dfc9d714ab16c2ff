"""The real Piper and Kokoro voices run on ONNX sessions without the CPU memory arena (see tts/onnx.py)."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.config import Settings
from orchestrator.errors import BackendUnavailableError
from orchestrator.tts.kokoro import KokoroTTS
from orchestrator.tts.piper import PiperTTS


def _arena(session: object) -> bool:
    return bool(session.get_session_options().enable_cpu_mem_arena)  # type: ignore[attr-defined]


def test_piper_speaks_from_a_session_without_the_cpu_arena():
    tts = PiperTTS()
    assert _arena(tts._voice.session) is False
    audio = tts.synthesize("Your balance is four hundred and eighty nine dollars.")
    assert audio.dtype == np.float32 and audio.size > tts.sample_rate  # over a second of speech
    assert float(np.abs(audio).max()) > 0.05


def test_kokoro_speaks_from_a_session_without_the_cpu_arena(real_settings: Settings):
    try:
        tts = KokoroTTS(real_settings)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    assert _arena(tts._kokoro.sess) is False
    audio = tts.synthesize("Your balance is four hundred dollars.")
    assert audio.size > tts.sample_rate // 2 and float(np.abs(audio).max()) > 0.05

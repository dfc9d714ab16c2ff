"""espeak-ng from Debian: robotic, tiny, always there as a fallback."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from orchestrator.config import Settings
from orchestrator.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
)
from orchestrator.tts.base import TTS_BACKENDS

__all__ = ["EspeakTTS"]


class EspeakTTS:
    """Runs ``espeak-ng`` once per piece of text; the text goes in on stdin, never argv."""

    name = "espeak"

    def __init__(
        self, voice: str = "en-us", timeout_s: float = 20.0, *, rate: int | None = None, pitch: int | None = None
    ) -> None:
        """``voice``: an espeak-ng voice (``en-gb-scotland``, ``en-us+f3``); ``rate``: words/minute; ``pitch``: 0-99."""
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise BackendUnavailableError(
                "TTS backend 'espeak' needs the espeak-ng program: apt-get install espeak-ng "
                "(or set VOICEBOT_TTS=piper)"
            )
        self._cmd = [exe, "--stdout", "-v", voice]
        if rate is not None:
            self._cmd += ["-s", str(int(rate))]
        if pitch is not None:
            self._cmd += ["-p", str(int(pitch))]
        self._cmd.append("--stdin")
        self._timeout_s = timeout_s
        self.sample_rate = 22_050

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``."""
        try:
            proc = subprocess.run(
                self._cmd,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout_s,
                check=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise BackendTimeoutError("espeak-ng timed out", stage="tts") from exc
        except subprocess.CalledProcessError as exc:
            raise BackendError(f"espeak-ng failed with exit {exc.returncode}", stage="tts") from exc
        with wave.open(io.BytesIO(proc.stdout), "rb") as wav:
            self.sample_rate = wav.getframerate()
            raw = wav.readframes(wav.getnframes())
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


@TTS_BACKENDS.register("espeak")
def _create(settings: Settings) -> EspeakTTS:
    return EspeakTTS()

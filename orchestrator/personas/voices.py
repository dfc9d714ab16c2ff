"""The synthetic voice of a persona, loaded once per process and voice.

Piper joe is the pipeline's own Piper (``runtime.load_tts``); espeak-ng
variants are a subprocess each call, so each rate and pitch is its own cheap
instance; all Kokoro voices share one loaded Kokoro-82M model.
"""

from __future__ import annotations

import threading

import numpy as np

from orchestrator.config import Settings
from orchestrator.personas.model import Voice
from orchestrator.runtime import load_tts
from orchestrator.tts.base import TTS
from orchestrator.tts.espeak import EspeakTTS

__all__ = ["PersonaVoice", "persona_voice"]

_lock = threading.Lock()
_voices: dict[Voice, PersonaVoice] = {}


class PersonaVoice:
    """Speaks text as one persona's voice; ``synthesize`` returns float32 samples at ``sample_rate``."""

    def __init__(self, voice: Voice, tts: TTS) -> None:
        self.voice = voice
        self.name = voice.label
        self._tts = tts

    @property
    def sample_rate(self) -> int:
        """The rate of the last synthesized audio."""
        return int(self._tts.sample_rate)

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``; blocking."""
        if self.voice.engine == "kokoro":
            from orchestrator.tts.kokoro import KokoroTTS

            assert isinstance(self._tts, KokoroTTS)
            return self._tts.speak(text, self.voice.name or "jf_alpha", self.voice.speed or 1.0)
        return self._tts.synthesize(text)


def persona_voice(voice: Voice, settings: Settings) -> PersonaVoice:
    """The loaded voice; raises ``ConfigError`` when its engine or voice is missing."""
    with _lock:
        if voice in _voices:
            return _voices[voice]
    if voice.engine == "espeak":
        tts: TTS = EspeakTTS(voice.name or "en-us", rate=voice.rate, pitch=voice.pitch)
    else:
        tts = load_tts(settings, voice.engine)
        if voice.engine == "kokoro":
            from orchestrator.errors import BackendUnavailableError
            from orchestrator.tts.kokoro import KokoroTTS

            assert isinstance(tts, KokoroTTS)
            if (voice.name or "jf_alpha") not in tts.voices:
                raise BackendUnavailableError(
                    f"Kokoro voice {voice.name!r} is not packaged; known: {', '.join(tts.voices)}"
                )
    made = PersonaVoice(voice, tts)
    with _lock:
        return _voices.setdefault(voice, made)

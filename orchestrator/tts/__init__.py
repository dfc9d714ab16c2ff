"""Text-to-speech backends, chosen by name with ``VOICEBOT_TTS``."""

from orchestrator.tts import espeak, fake, kokoro, piper  # noqa: F401  (registers the backends)
from orchestrator.tts.base import TTS, TTS_BACKENDS

__all__ = ["TTS", "TTS_BACKENDS"]

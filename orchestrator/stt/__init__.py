"""Speech-to-text backends, chosen by name with ``VOICEBOT_STT``."""

from orchestrator.stt import fake, whisper  # noqa: F401  (registers the backends)
from orchestrator.stt.base import STT, STT_BACKENDS, Transcription

__all__ = ["STT", "STT_BACKENDS", "Transcription"]

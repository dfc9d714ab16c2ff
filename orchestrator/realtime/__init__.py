"""Real-time voice: endpointing, speculative speech-to-text, streamed replies and barge-in.

``RealtimeEngine`` is the one engine every live face drives (the browser's open
microphone, ``voicebot turn --realtime``, a telephony media socket): feed it caller
audio, and it hands endpointed utterances to a ``Conversation`` and stops the
``ReplyPlayer`` when the caller barges in.
"""

from orchestrator.realtime.base import Conversation, EngineConfig, TurnHandle, Utterance
from orchestrator.realtime.engine import RealtimeEngine
from orchestrator.realtime.judge import Completion, is_backchannel, turn_completion
from orchestrator.realtime.playback import PLAYER_RATE, AudioOut, Heard, ReplyPlayer, player_pcm
from orchestrator.realtime.vad import VAD_BACKENDS, LevelVAD, SileroVAD, SpeechDetector

__all__ = [
    "PLAYER_RATE",
    "VAD_BACKENDS",
    "AudioOut",
    "Completion",
    "Conversation",
    "EngineConfig",
    "Heard",
    "LevelVAD",
    "RealtimeEngine",
    "ReplyPlayer",
    "SileroVAD",
    "SpeechDetector",
    "TurnHandle",
    "Utterance",
    "is_backchannel",
    "player_pcm",
    "turn_completion",
]

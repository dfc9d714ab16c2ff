"""What the real-time engine takes and hands over: its settings, an utterance, and the conversation it drives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from orchestrator.config import Settings
from orchestrator.events import AnyEvent
from orchestrator.realtime.playback import Heard
from orchestrator.stt.base import Transcription

__all__ = ["Conversation", "EngineConfig", "TurnHandle", "Utterance"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Turn-taking knobs, in milliseconds of stream audio (see ``Settings`` for the tunable ones)."""

    stop_ms: float = 450.0  # silence that ends a finished-sounding turn
    hold_ms: float = 1200.0  # silence that ends a turn left mid-thought
    barge_in_min_ms: float = 160.0  # speech over the reply that stops its playback
    backchannel_max_ms: float = 800.0  # longest speech that may still be an "uh-huh"
    # Under it, a transcript of such short speech is a guess at a hum, not words. Piper's hums ("Uh-huh.",
    # "Mm-hmm.", "Hmm.") got at most 0.66 from Whisper base and 0.61 from tiny.en; its short words ("Stop.",
    # "No.", "Wait.", "Yes.") 0.68 and up from base, 0.62 and up from tiny.en.
    backchannel_min_confidence: float = 0.6
    speculate_ms: float = 64.0  # silence after which speech-to-text starts on the audio so far
    join_ms: float = 1500.0  # a barge-in this soon after an endpoint, on an answer still being made, joins it
    min_speech_ms: float = 120.0  # less voice than this is noise, not a turn
    max_utterance_ms: float = 60_000.0
    on_threshold: float = 0.5  # voice probability that starts speech ...
    off_threshold: float = 0.35  # ... and the lower one that keeps it going (hysteresis)
    preroll_ms: float = 200.0  # audio kept from before the detected onset (the detector lags the voice)
    pad_ms: float = 150.0  # audio kept after the last voice

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        """The knobs ``VOICEBOT_ENDPOINT_*``, ``VOICEBOT_BARGE_IN_MIN_MS`` and the rest set."""
        return cls(
            stop_ms=float(settings.endpoint_stop_ms),
            hold_ms=float(max(settings.endpoint_hold_ms, settings.endpoint_stop_ms)),
            barge_in_min_ms=float(settings.barge_in_min_ms),
            backchannel_max_ms=float(settings.backchannel_max_ms),
            backchannel_min_confidence=settings.backchannel_min_confidence,
            max_utterance_ms=settings.max_audio_seconds * 1000.0,
        )


@dataclass(frozen=True, slots=True)
class Utterance:
    """One endpointed caller turn, ready for the pipeline."""

    samples: np.ndarray  # 16 kHz mono float32: the speech with a little audio either side
    transcript: Transcription  # already computed (speculatively during the pause, or at the endpoint)
    start_ms: float  # stream times (ms of audio since the stream opened)
    end_ms: float  # the end of speech
    endpoint_ms: float  # when the turn was ended
    verdict: str  # complete, incomplete:<cue>, mic_off or max_length
    speculative: bool  # the transcript came from the speculation during the pause
    barge_in: bool  # it began over the bot's reply
    endpoint_at: float  # engine clock (s) at the decision
    end_at: float  # engine clock (s) when the end of speech arrived

    @property
    def delay_ms(self) -> float:
        """End of speech to the endpoint, in stream audio."""
        return round(self.endpoint_ms - self.end_ms, 1)


class TurnHandle(Protocol):
    """A turn under way (an ``asyncio.Task`` is one)."""

    def done(self) -> bool:
        """True once the turn has finished, however it ended."""
        ...

    def cancel(self) -> Any:
        """Stop the turn: the rest of its synthesis is dropped."""
        ...


class Conversation(Protocol):
    """What the engine drives: one caller's session on some face (browser, CLI, telephony)."""

    def emit(self, event: AnyEvent) -> None:
        """Emit a turn-taking event (built by ``orchestrator.turn.listening``; the conversation stamps it)."""
        ...

    async def start_turn(self, utterance: Utterance) -> TurnHandle:
        """Begin answering ``utterance``; return at once with the turn under way."""
        ...

    async def cut_turn(self, heard: Heard) -> None:
        """The caller barged in: the current reply stops at what was ``heard`` (history marks it cut)."""
        ...

    def call_off_turn(self) -> None:
        """The running turn is about to be cancelled and its words joined to the caller's next ones: it must
        leave the dialog as it was."""
        ...

    def hold_turn(self, held: bool) -> None:
        """Speech that may join the running turn began (True), or was settled (False): while held, the
        running turn makes its reply but waits before saving what it did."""
        ...

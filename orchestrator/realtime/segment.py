"""What the real-time engine keeps of one stretch of caller speech, and of a speech-to-text run over it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orchestrator.realtime.judge import Completion
from orchestrator.realtime.playback import Heard
from orchestrator.stt.base import Transcription

__all__ = ["Segment", "Spec"]


@dataclass
class Segment:
    """One stretch of caller speech, from its first voiced window to its end."""

    start: int
    last_voice: int
    onset_at: float  # clock time the onset arrived
    barge: bool  # began while the bot was speaking
    voiced: int = 0
    silence: int = 0
    pauses: int = 0
    in_voice: bool = True
    spec_asked: bool = False
    decision: Completion | None = None
    stopped_at: float | None = None  # clock time playback was stopped for it (barge-in)
    heard: Heard | None = None
    confirmed: bool = False  # a real barge-in, not a backchannel
    holds: bool = False  # it may join the running turn, which must not save its outcome until this is settled


@dataclass
class Spec:
    """A speech-to-text run over ``segment``'s audio up to ``covers``."""

    segment: Segment
    covers: int
    task: asyncio.Task[tuple[Transcription, float]]
    during_pause: bool = True  # started while waiting out the pause (not once the turn had ended)

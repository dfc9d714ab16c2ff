"""Speculative runs that speech made useless while they waited for the recogniser never run it."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np

from orchestrator.realtime import EngineConfig, LevelVAD, RealtimeEngine, ReplyPlayer
from orchestrator.stt.base import Transcription
from tests.unit.realtime_fakes import RATE, FakeClock, RecordingOut, ScriptedConversation, Stream


class SlowSTT:
    """A recogniser that takes 0.3 s a run and keeps the length of each audio it heard."""

    name = "slow"

    def __init__(self) -> None:
        self.heard_s: list[float] = []
        self._lock = threading.Lock()

    def transcribe(self, samples: np.ndarray) -> Transcription:
        time.sleep(0.3)
        with self._lock:
            self.heard_s.append(len(samples) / 16_000)  # the engine hands it 16 kHz
        return Transcription("I would like a loan.", 0.9)


def test_speculations_dropped_while_queued_behind_the_recogniser_are_skipped():
    async def scenario() -> tuple[SlowSTT, ScriptedConversation]:
        clock = FakeClock()
        player = ReplyPlayer(RecordingOut(clock), clock=clock)
        talk = ScriptedConversation(player)
        stt = SlowSTT()
        engine = RealtimeEngine(LevelVAD(), stt, talk, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                                clock=clock)
        # Five short pauses: each starts a speculation, and the voice coming back drops it.
        stream = Stream()
        for _ in range(5):
            stream.talk(0.4).pause(0.15)
        await stream.talk(0.4).pause(1.0).feed(engine, clock)
        await engine.close()
        return stt, talk

    stt, talk = asyncio.run(scenario())
    assert len(talk.utterances) == 1 and talk.utterances[0].transcript.text == "I would like a loan."
    # The first run was under way and finished; the ones queued behind it and dropped never ran.
    assert len(stt.heard_s) <= 3, stt.heard_s
    assert max(stt.heard_s) >= 2.5  # the run the turn used covered the whole utterance

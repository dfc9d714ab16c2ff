"""A live call end to end on the fake speech backends: the engine endpoints, the pipeline answers, the reply streams."""

from __future__ import annotations

import pytest

from orchestrator.audio import pcm16_samples
from orchestrator.config import Settings
from orchestrator.realtime import EngineConfig, LevelVAD, RealtimeEngine, ReplyPlayer
from orchestrator.realtime.call import LiveCall
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import read_jsonl
from tests.conftest import make_pipeline
from tests.unit.realtime_fakes import RATE, FakeClock, RecordingOut, Stream

pytestmark = pytest.mark.asyncio


async def test_an_endpointed_utterance_is_answered_by_a_pipeline_turn_whose_reply_streams_at_24_khz(
    fake_settings: Settings,
) -> None:
    stt = FakeSTT(["What are your opening hours?"])
    pipeline = make_pipeline(fake_settings, stt=stt)
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    call = LiveCall(pipeline, "live-1", player)
    engine = RealtimeEngine(LevelVAD(), stt, call, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                            clock=clock)

    await Stream().talk(1.0).pause(0.6).feed(engine, clock)
    assert engine.turn is not None
    await engine.turn  # type: ignore[misc]

    (live,) = call.turns
    assert "virtual assistant" in live.outcome.reply  # the disclosure opens turn 1
    assert "Monday to Friday" in live.outcome.reply
    sent = b"".join(pcm for _t, pcm, _at in out.sent)
    # Everything the turn said went out at the player's rate (the fake voice speaks at 16 kHz).
    assert len(pcm16_samples(sent)) / 24_000 == pytest.approx(len(live.outcome.audio) / 16_000, abs=0.05)
    events = list(read_jsonl(fake_settings.logs_dir / "live-1.jsonl"))
    kinds = [(e.type, e.turn) for e in events]
    assert ("speech_ended", 1) in kinds and ("endpoint", 1) in kinds and ("turn_started", 1) in kinds
    pipeline.store.close()


async def test_the_next_utterance_is_stamped_with_the_next_turn_number(fake_settings: Settings) -> None:
    stt = FakeSTT(["Hello.", "What are your opening hours?"])
    pipeline = make_pipeline(fake_settings, stt=stt)
    clock = FakeClock()
    player = ReplyPlayer(RecordingOut(clock), clock=clock)
    call = LiveCall(pipeline, "live-2", player)
    engine = RealtimeEngine(LevelVAD(), stt, call, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                            clock=clock)
    for _ in range(2):
        await Stream().talk(0.8).pause(0.6).feed(engine, clock)
        await engine.turn  # type: ignore[misc]
        clock.now += 30  # the reply has played out

    endpoints = [e.turn for e in read_jsonl(fake_settings.logs_dir / "live-2.jsonl") if e.type == "endpoint"]
    assert endpoints == [1, 2]
    pipeline.store.close()

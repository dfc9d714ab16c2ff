"""A barge-in on a live call cuts the pipeline turn: its turn_ended says cut, the history marks the reply cut."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from orchestrator.config import Settings
from orchestrator.pipeline import AudioInput
from orchestrator.realtime import EngineConfig, LevelVAD, RealtimeEngine, ReplyPlayer, Utterance
from orchestrator.realtime.call import LiveCall, PieceCallback
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import read_jsonl
from tests.conftest import make_pipeline
from tests.unit.realtime_fakes import RATE, FakeClock, RecordingOut, Stream

pytestmark = pytest.mark.asyncio


async def test_a_barge_in_while_the_turn_is_still_speaking_cancels_it_and_the_cut_turn_keeps_its_state(
    fake_settings: Settings,
) -> None:
    stt = FakeSTT(["What are your opening hours?", "Stop, I want my balance."])
    pipeline = make_pipeline(fake_settings, stt=stt)
    clock = FakeClock()
    player = ReplyPlayer(RecordingOut(clock), clock=clock)
    still_speaking = asyncio.Event()  # never set: the turn is mid-synthesis when the caller cuts in

    async def run(utterance: Utterance, audio: AudioInput, on_piece: PieceCallback) -> object:
        async def piece(index: int, samples: np.ndarray, rate: int) -> None:
            await on_piece(index, samples, rate)
            await still_speaking.wait()

        return await pipeline.run_turn("cut-1", audio=audio, on_audio_chunk=piece)

    call = LiveCall(pipeline, "cut-1", player, run=run)
    engine = RealtimeEngine(LevelVAD(), stt, call, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                            clock=clock)
    await Stream().talk(1.0).pause(0.6).feed(engine, clock)
    for _ in range(50):  # let the turn reach its first spoken piece
        if player.sent_ms() > 0:
            break
        await asyncio.sleep(0.01)
    turn = engine.turn
    assert turn is not None and not turn.done()

    # Past the join window (1.5 s after the endpoint): a new turn of its own, not the first one going on.
    await Stream().pause(1.6).talk(1.5).pause(0.1).feed(engine, clock)
    await asyncio.gather(turn, return_exceptions=True)  # type: ignore[arg-type]

    assert turn.cancelled()
    events = list(read_jsonl(fake_settings.logs_dir / "cut-1.jsonl"))
    ended = [e for e in events if e.type == "turn_ended" and e.turn == 1]
    assert len(ended) == 1 and ended[0].cut and ended[0].reached == "tts"  # type: ignore[attr-defined]
    assert not ended[0].called_off  # type: ignore[attr-defined]
    assert [e.turn for e in events if e.type == "interrupted"] == [1]
    state = pipeline.store.load("cut-1")
    assert state is not None and state.turns == 1
    assert state.history[0].cut and "Monday to Friday" in state.history[0].bot
    pipeline.store.close()


async def test_a_barge_in_after_the_turn_ended_while_its_reply_still_plays_marks_that_reply_cut(
    fake_settings: Settings,
) -> None:
    stt = FakeSTT(["What are your opening hours?", "Stop, I want my balance."])
    pipeline = make_pipeline(fake_settings, stt=stt)
    clock = FakeClock()
    player = ReplyPlayer(RecordingOut(clock), clock=clock)
    call = LiveCall(pipeline, "cut-2", player)
    engine = RealtimeEngine(LevelVAD(), stt, call, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                            clock=clock)
    await Stream().talk(1.0).pause(0.6).feed(engine, clock)
    await engine.turn  # type: ignore[misc]
    before = pipeline.store.load("cut-2")
    assert before is not None and not before.history[0].cut  # the turn ended whole; its reply is playing

    await Stream().talk(1.5).pause(0.1).feed(engine, clock)

    after = pipeline.store.load("cut-2")
    assert after is not None and after.history[0].cut
    assert call.turns[0].cut is not None and call.turns[0].cut.ms < call.turns[0].cut.reply_ms
    pipeline.store.close()

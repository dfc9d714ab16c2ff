"""A live call end to end on the fake speech backends: the engine endpoints, the pipeline answers, the reply streams."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from orchestrator.audio import pcm16_samples
from orchestrator.config import Settings
from orchestrator.pipeline import AudioInput, Pipeline
from orchestrator.realtime import EngineConfig, LevelVAD, RealtimeEngine, ReplyPlayer, Utterance
from orchestrator.realtime.call import LiveCall, PieceCallback
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


_LOAN = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
PieceHook = Callable[[Utterance], Awaitable[None]]


async def _confirming(settings: Settings, session: str, after_piece: PieceHook, before_piece: PieceHook | None = None,
                      ) -> tuple[Pipeline, RealtimeEngine, FakeClock]:
    """A live call whose loan question was answered: the bot now asks to confirm. The hooks run around
    each reply piece of every later turn (to hold an answer while the caller goes on)."""
    stt = FakeSTT([_LOAN, "Yes.", "Yes, that's right."])
    pipeline = make_pipeline(settings, stt=stt)
    clock = FakeClock()
    player = ReplyPlayer(RecordingOut(clock), clock=clock)

    async def run(utterance: Utterance, audio: AudioInput, on_piece: PieceCallback) -> object:
        async def piece(index: int, samples: np.ndarray, rate: int) -> None:
            if before_piece is not None:
                await before_piece(utterance)
            await on_piece(index, samples, rate)
            await after_piece(utterance)
        hooked = piece if utterance.transcript.text != _LOAN else on_piece
        return await pipeline.run_turn(session, audio=audio, on_audio_chunk=hooked)

    call = LiveCall(pipeline, session, player, run=run)
    engine = RealtimeEngine(LevelVAD(), stt, call, player, config=EngineConfig(stop_ms=400), input_rate=RATE,
                            clock=clock)
    await Stream().talk(1.5).pause(0.6).feed(engine, clock)
    await engine.turn  # type: ignore[misc]
    clock.now += 30  # the confirmation question has played out
    return pipeline, engine, clock


def _assert_yes_was_called_off_and_joined(settings: Settings, pipeline: Pipeline, session: str) -> None:
    ended = [e for e in read_jsonl(settings.logs_dir / f"{session}.jsonl") if e.type == "turn_ended"]
    assert [(e.turn, e.ok, e.cut, e.called_off) for e in ended] == [
        (1, True, False, False), (2, False, True, True), (3, True, False, False)]
    state = pipeline.store.load(session)
    assert state is not None
    assert [h.turn for h in state.history] == [1, 3]  # the called-off turn left no answer behind
    assert state.history[-1].user == "Yes, that's right." and "payment" in state.history[-1].figures
    pipeline.store.close()


async def test_a_turn_called_off_because_the_caller_went_on_leaves_the_dialog_where_it_was(
    fake_settings: Settings,
) -> None:
    """ "Yes." ... "that's right": the endpoint after "Yes." was too soon, and its answer must not stand."""
    thinking = asyncio.Event()

    async def stall(utterance: Utterance) -> None:
        if utterance.transcript.text == "Yes.":
            thinking.set()
            await asyncio.Event().wait()  # still being made when the caller goes on

    async def nothing(_utterance: Utterance) -> None:
        return None

    pipeline, engine, clock = await _confirming(fake_settings, "live-3", nothing, before_piece=stall)
    await Stream().talk(0.4).pause(0.45).feed(engine, clock)
    await asyncio.wait_for(thinking.wait(), 5)
    await Stream().talk(0.6).pause(0.6).feed(engine, clock)
    await engine.turn  # type: ignore[misc]

    _assert_yes_was_called_off_and_joined(fake_settings, pipeline, "live-3")


async def test_words_begun_while_the_answer_was_made_join_it_even_when_they_are_judged_after_it_was_made(
    fake_settings: Settings,
) -> None:
    """Short words ("That's right.") are judged at their pause, after the answer to "Yes." was made in full:
    begun while it was being made, they still join it, so its answer must not have been saved meanwhile."""
    piece_out, go_on = asyncio.Event(), asyncio.Event()

    async def wait_for_the_caller(utterance: Utterance) -> None:
        if utterance.transcript.text == "Yes.":
            piece_out.set()
            await go_on.wait()  # the rest is made once the caller has begun to speak again

    pipeline, engine, clock = await _confirming(fake_settings, "live-4", wait_for_the_caller)
    await Stream().talk(0.4).pause(0.45).feed(engine, clock)
    await asyncio.wait_for(piece_out.wait(), 5)
    await Stream().talk(0.6).feed(engine, clock)  # over the answer's first piece, moments after the endpoint
    go_on.set()
    for _ in range(50):  # the answer is made in full while the words are still going on
        await asyncio.sleep(0)
    await Stream().pause(0.6).feed(engine, clock)
    await engine.turn  # type: ignore[misc]

    _assert_yes_was_called_off_and_joined(fake_settings, pipeline, "live-4")

"""The real-time engine on the level detector and scripted STT: endpoints, speculation, noise, joins."""

from __future__ import annotations

import pytest

from tests.unit.realtime_fakes import Stream, engine_for

pytestmark = pytest.mark.asyncio

STOP = 400.0
HOLD = 1000.0


async def test_a_finished_sentence_ends_the_turn_once_the_stop_delay_of_silence_has_passed() -> None:
    engine, talk, _out, clock, stt = engine_for(["I'd like to borrow $25,000."], stop_ms=STOP, hold_ms=HOLD)
    await Stream().pause(0.3).talk(1.2).pause(1.0).feed(engine, clock)

    assert len(talk.utterances) == 1
    utterance = talk.utterances[0]
    assert utterance.transcript.text == "I'd like to borrow $25,000."
    assert utterance.verdict == "complete"
    # The endpoint comes the stop delay after the end of speech (to the 32 ms window).
    assert STOP <= utterance.delay_ms < STOP + 64
    assert 1450 <= utterance.end_ms <= 1550
    assert talk.types() == ["speculation", "speech_ended", "endpoint"]
    assert talk.fields("speculation")[0]["used"] is True
    assert talk.fields("endpoint")[0] == {
        "delay_ms": utterance.delay_ms, "stop_ms": STOP, "verdict": "complete", "speculative": True,
    }
    assert len(stt.calls) == 1  # the speculation's transcript was used: no second STT run


async def test_a_pause_shorter_than_the_stop_delay_never_splits_the_utterance_and_drops_the_speculation() -> None:
    engine, talk, _out, clock, stt = engine_for(["I'd like", "I'd like to borrow $25,000."], stop_ms=STOP)
    await Stream().talk(0.8).pause(0.3).talk(0.9).pause(0.8).feed(engine, clock)

    assert [u.transcript.text for u in talk.utterances] == ["I'd like to borrow $25,000."]
    assert talk.fields("speech_ended")[0]["pauses"] == 1
    dropped, used = talk.fields("speculation")
    assert dropped["used"] is False and dropped["reason"] == "speech_resumed"
    assert used["used"] is True
    # The utterance holds both stretches of speech and the pause between them.
    assert len(talk.utterances[0].samples) >= int(16_000 * 2.0)
    assert len(stt.calls) == 2


async def test_a_turn_left_mid_thought_waits_for_the_hold_delay_before_it_ends() -> None:
    engine, talk, _out, clock, _stt = engine_for(["I'd like to borrow $25,000 and"], stop_ms=STOP, hold_ms=HOLD)
    await Stream().talk(1.0).pause(1.5).feed(engine, clock)

    (utterance,) = talk.utterances
    assert utterance.verdict == "incomplete:trailing:and"
    assert HOLD <= utterance.delay_ms < HOLD + 64
    assert talk.fields("endpoint")[0]["stop_ms"] == HOLD


async def test_speech_resuming_during_the_hold_delay_keeps_one_turn() -> None:
    engine, talk, _out, clock, _stt = engine_for(
        ["I'd like to borrow, um", "I'd like to borrow, um, 25,000 dollars."], stop_ms=STOP, hold_ms=HOLD
    )
    await Stream().talk(0.8).pause(0.7).talk(0.8).pause(0.6).feed(engine, clock)

    assert [u.transcript.text for u in talk.utterances] == ["I'd like to borrow, um, 25,000 dollars."]
    assert talk.utterances[0].verdict == "complete"


async def test_a_burst_too_short_to_be_speech_becomes_no_turn_but_says_so() -> None:
    engine, talk, _out, clock, stt = engine_for(["click"], stop_ms=STOP)
    await Stream().pause(0.2).talk(0.064).pause(0.8).feed(engine, clock)

    assert talk.utterances == []
    (noise,) = talk.fields("segment_noise")
    assert noise["reason"] == "too_short"
    assert noise["duration_ms"] < 120  # the shortest speech (the burst touches three 32 ms windows)
    assert stt.calls == []


async def test_speech_in_which_stt_hears_no_words_becomes_no_turn_but_says_so() -> None:
    engine, talk, _out, clock, _stt = engine_for([""], stop_ms=STOP)
    await Stream().talk(0.6).pause(0.8).feed(engine, clock)

    assert talk.utterances == []
    (noise,) = talk.fields("segment_noise")
    assert noise["reason"] == "no_words"


async def test_speech_resuming_after_the_endpoint_before_the_bot_says_anything_joins_the_same_turn() -> None:
    engine, talk, _out, clock, _stt = engine_for(
        ["I'd like to borrow $25,000.", "I'd like to borrow $25,000. Over 5 years at 6.5%."], hold=True, stop_ms=STOP
    )
    await Stream().talk(1.0).pause(0.6).talk(1.2).pause(0.8).feed(engine, clock)

    first, whole = talk.utterances
    assert first.transcript.text == "I'd like to borrow $25,000."
    assert talk.cancelled == 1 and talk.called_off == 1  # the first turn was called off before it spoke
    assert whole.transcript.text == "I'd like to borrow $25,000. Over 5 years at 6.5%."
    assert whole.start_ms == first.start_ms
    assert talk.fields("speech_ended")[-1]["pauses"] == 1


async def test_the_microphone_going_off_ends_a_turn_in_progress_at_once() -> None:
    engine, talk, _out, clock, _stt = engine_for(["What are your opening hours?"], stop_ms=STOP)
    await Stream().talk(1.0).pause(0.1).feed(engine, clock)
    assert talk.utterances == []

    engine.mic_off()
    await engine.drain()

    (utterance,) = talk.utterances
    assert utterance.verdict == "mic_off"
    assert utterance.transcript.text == "What are your opening hours?"


@pytest.mark.parametrize("chunk", [160, 480, 4096])
async def test_decisions_depend_on_the_audio_not_on_how_it_is_chunked(chunk: int) -> None:
    engine, talk, _out, clock, _stt = engine_for(["one", "one two."], stop_ms=STOP)
    await Stream().talk(0.7).pause(0.25).talk(0.5).pause(0.9).feed(engine, clock, chunk=chunk)

    (utterance,) = talk.utterances
    assert (utterance.start_ms, utterance.end_ms, utterance.endpoint_ms) == (0.0, 1472.0, 1888.0)


async def test_speech_long_after_the_endpoint_still_joins_a_turn_that_has_said_nothing_yet() -> None:
    engine, talk, _out, clock, _stt = engine_for(
        ["What are your opening hours?", "What are your opening hours? What is my balance?"], hold=True, stop_ms=STOP,
    )
    await Stream().talk(1.0).pause(5.0).talk(1.0).pause(0.8).feed(engine, clock)

    first, whole = talk.utterances
    assert talk.cancelled == 1
    assert whole.start_ms == first.start_ms
    assert len(whole.samples) >= 16_000 * 6.5  # both questions and the wait between them

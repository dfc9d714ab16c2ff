"""Barge-in over the bot's reply: playback stops, the turn is cut, backchannels let the reply carry on."""

from __future__ import annotations

import pytest

from tests.unit.realtime_fakes import Stream, engine_for

pytestmark = pytest.mark.asyncio

STOP = 400.0


async def _answered(transcripts: list[str], **config: float):  # type: ignore[no-untyped-def]
    """An engine whose first turn has been endpointed and is speaking a 6 s reply (``config``: engine_for's)."""
    engine, talk, out, clock, stt = engine_for(transcripts, reply_s=6.0, stop_ms=STOP, **config)
    await Stream().talk(1.0).pause(0.6).feed(engine, clock)
    assert len(talk.utterances) == 1 and out.sent, "the first turn should be speaking"
    return engine, talk, out, clock, stt


async def test_speech_over_the_reply_stops_playback_cancels_the_turn_and_becomes_the_next_turn() -> None:
    engine, talk, out, clock, _stt = await _answered(
        ["What is the rate?", "No, wait, make it ten years instead."]
    )
    await Stream().pause(1.0).talk(1.5).pause(0.6).feed(engine, clock)

    assert len(out.stops) == 1
    (interrupted,) = talk.fields("interrupted")
    # Onset to the stop being sent: the shortest barge-in plus the detector's 32 ms windows.
    assert 160 <= interrupted["stop_ms"] <= 230
    # About a second of the 6 s reply had played when the caller cut in.
    assert 1000 <= interrupted["heard_ms"] <= 1400
    assert interrupted["reply_ms"] == pytest.approx(6000, abs=1)
    assert interrupted["heard_text"] == "one two"  # a sixth of "one ... eight", rounded to words
    assert talk.cuts and talk.cuts[0].ms == interrupted["heard_ms"]
    second = talk.utterances[1]
    assert second.barge_in is True
    assert second.transcript.text == "No, wait, make it ten years instead."
    assert talk.types().index("interrupted") < talk.types().index("endpoint", 3)


async def test_a_short_backchannel_pauses_the_reply_then_lets_it_carry_on_from_where_it_stopped() -> None:
    engine, talk, out, clock, _stt = await _answered(["What is the rate?", "Uh-huh."])
    await Stream().pause(2.0).talk(0.4).pause(0.6).feed(engine, clock)

    assert len(talk.utterances) == 1  # no new turn
    assert talk.cancelled == 0 and talk.cuts == [] and talk.fields("interrupted") == []
    (backchannel,) = talk.fields("backchannel")
    assert backchannel["text"] == "Uh-huh."
    assert backchannel["duration_ms"] <= 800
    first, resumed = out.tracks()
    assert resumed != first  # the player ignores a stopped track: the rest goes on a new one
    rest = b"".join(pcm for track, pcm, _at in out.sent if track == resumed)
    played_s = 6.0 - len(rest) / 2 / 24_000
    assert 2.0 <= played_s <= 2.4  # it carries on from the stop, not from the start


@pytest.mark.parametrize(("min_confidence", "carries_on"), [(0.6, True), (0.0, False)])
async def test_a_hum_the_recogniser_guessed_a_word_for_lets_the_reply_carry_on_unless_told_to_trust_it(
    min_confidence: float, carries_on: bool
) -> None:
    # Whisper's guess at a hum over the reply: a word, heard with little confidence.
    engine, talk, out, clock, _stt = await _answered(
        ["What is the rate?", "In a month."], confidence=0.4, backchannel_min_confidence=min_confidence
    )
    await Stream().pause(2.0).talk(0.4).pause(0.6).feed(engine, clock)

    assert len(out.stops) == 1  # the burst was long enough to pause the reply either way
    if carries_on:
        assert len(talk.utterances) == 1 and talk.fields("interrupted") == []
        assert talk.fields("backchannel")[0]["text"] == "In a month."
        assert talk.fields("backchannel")[0]["confidence"] == 0.4
        assert len(out.tracks()) == 2  # resumed on a fresh track
    else:
        assert [u.transcript.text for u in talk.utterances] == ["What is the rate?", "In a month."]
        assert len(talk.fields("interrupted")) == 1


async def test_a_cough_under_the_barge_in_length_does_not_touch_the_reply() -> None:
    engine, talk, out, clock, stt = await _answered(["What is the rate?"])
    calls = len(stt.calls)
    await Stream().pause(1.0).talk(0.1).pause(0.6).feed(engine, clock)

    assert out.stops == []
    assert talk.fields("segment_noise")[0]["reason"] == "too_short"
    assert len(stt.calls) == calls


async def test_short_words_that_are_not_a_backchannel_still_take_the_turn() -> None:
    engine, talk, out, clock, _stt = await _answered(["What is the rate?", "Stop."])
    await Stream().pause(1.0).talk(0.4).pause(0.6).feed(engine, clock)

    assert len(out.stops) == 1
    assert len(talk.fields("interrupted")) == 1
    assert [u.transcript.text for u in talk.utterances] == ["What is the rate?", "Stop."]


async def test_a_goodbye_whisper_is_unsure_of_but_knows_was_speech_still_takes_the_turn() -> None:
    # Whisper tiny heard a said "Goodbye." over the reply at 0.49-0.65 (no-speech under 0.05).
    engine, talk, out, clock, _stt = await _answered(["What is the rate?", "Goodbye."], confidence=0.5)
    await Stream().pause(2.0).talk(0.4).pause(0.6).feed(engine, clock)

    assert len(out.stops) == 1 and talk.fields("backchannel") == []
    assert len(talk.fields("interrupted")) == 1
    assert [u.transcript.text for u in talk.utterances] == ["What is the rate?", "Goodbye."]


async def test_the_barge_in_length_is_tunable() -> None:
    engine, talk, out, clock, _stt = await _answered(["What is the rate?", "Hold on."], barge_in_min_ms=500)
    await Stream().pause(1.0).talk(0.3).pause(0.6).feed(engine, clock)

    assert out.stops == []  # 300 ms of speech is under the 500 ms barge-in length
    assert talk.fields("segment_noise")[0]["reason"] == "too_short"


async def test_going_on_just_after_the_endpoint_while_the_answer_is_being_made_joins_the_question() -> None:
    engine, talk, out, clock, _stt = engine_for(
        ["I'd like to borrow $25,000.", "I'd like to borrow $25,000. Over 5 years at 6.5%."],
        reply_s=6.0, linger=True, stop_ms=STOP,
    )
    await Stream().talk(1.0).pause(0.6).talk(1.2).pause(0.6).feed(engine, clock)

    first, whole = talk.utterances
    assert len(out.stops) == 1 and talk.cancelled == 1  # the answer to the first half was cut off
    assert talk.called_off == 1  # ... and called off: its words join the next turn
    assert len(talk.fields("interrupted")) == 1
    assert whole.transcript.text == "I'd like to borrow $25,000. Over 5 years at 6.5%."
    assert whole.start_ms == first.start_ms
    assert len(whole.samples) >= 16_000 * 2.7  # both halves and the pause between them
    assert talk.fields("speech_ended")[-1]["pauses"] == 1


async def test_a_barge_in_after_the_join_window_is_a_turn_of_its_own() -> None:
    engine, talk, _out, clock, _stt = engine_for(
        ["What is the rate?", "Make it ten years."], reply_s=6.0, linger=True, stop_ms=STOP, join_ms=1000,
    )
    await Stream().talk(1.0).pause(0.6).pause(1.2).talk(1.2).pause(0.6).feed(engine, clock)

    first, second = talk.utterances
    assert second.start_ms > first.endpoint_ms
    assert talk.called_off == 0  # a barge-in of its own: the cut answer stands
    assert second.transcript.text == "Make it ten years."


@pytest.mark.parametrize(("gap_s", "holds"), [(0.5, [True, False]), (2.0, [])])
async def test_speech_that_may_join_the_answer_being_made_holds_it_until_it_is_judged(
    gap_s: float, holds: list[bool]
) -> None:
    # The answer is still being made (linger): a backchannel begun inside the 1.5 s join window holds
    # its saving until the backchannel is judged, and lets go then; one begun later holds nothing.
    engine, talk, _out, clock, _stt = engine_for(["What is the rate?", "Uh-huh."], reply_s=6.0, linger=True,
                                                stop_ms=STOP)
    await Stream().talk(1.0).pause(0.6).feed(engine, clock)
    await Stream().pause(gap_s).talk(0.4).pause(0.6).feed(engine, clock)

    assert len(talk.fields("backchannel")) == 1 and talk.cancelled == 0
    assert talk.holds == holds
    talk.release()

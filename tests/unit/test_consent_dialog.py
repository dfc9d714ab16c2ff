"""Consent as dialog state: asked with the disclosure, answered only by the very next turn and only by an
answer, heard back by the caller, withdrawn at any turn (which deletes what was kept)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orchestrator.compliance import CONSENT_DECLINED, CONSENT_THANKS, CONSENT_WITHDRAWN
from orchestrator.config import Settings
from orchestrator.eventsource import opened_event_source
from orchestrator.pipeline import Pipeline, TurnResult
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes

AUDIO = "AUDIO"  # a spoken turn: the fake STT hears "hello"


@pytest.fixture
def consented(fake_settings: Settings) -> Settings:
    return fake_settings.model_copy(update={"audio_retention": "consented"})


async def _steps(pipeline: Pipeline, sid: str, steps: tuple[str | bool, ...]) -> list[TurnResult | None]:
    results: list[TurnResult | None] = []
    for step in steps:
        if isinstance(step, bool):  # the browser's button
            await pipeline.set_consent(sid, step)
            results.append(None)
        elif step == AUDIO:
            results.append(await pipeline.run_turn(sid, audio=wav_bytes(tone(1.0))))
        else:
            results.append(await pipeline.run_turn(sid, text=step))
    return results


def play(settings: Settings, sid: str, *steps: str | bool) -> tuple[list[TurnResult | None], bool | None]:
    """Run the steps; the results and the stored consent afterwards."""

    async def go() -> tuple[list[TurnResult | None], bool | None]:
        pipeline = make_pipeline(settings)
        try:
            results = await _steps(pipeline, sid, steps)
            state = pipeline.store.load(sid)
            assert state is not None
            return results, state.voice_consent
        finally:
            pipeline.store.close()

    return asyncio.run(go())


def kept(settings: Settings, sid: str) -> list[str]:
    return sorted(p.name for p in Path(settings.audio_dir).glob(f"{sid}-t*-caller.wav"))


def consent_events(settings: Settings, sid: str) -> list[dict]:
    with opened_event_source(settings) as source:
        return [e.model_dump() for e in source.read(sid) if e.type == "consent_changed"]


@pytest.mark.parametrize("sentence", [
    "I agree with the five year term",
    "I agree that the rate is high, what about 3 years?",
    "I agree to 1.9 percent",
    "yes I'd like a loan of 5000 dollars",
    "you can record the amount as 5000",
    "My wife and I agree on everything, we want a mortgage",
])
def test_a_sentence_that_merely_contains_agreement_never_gives_consent(consented, sentence):
    results, consent = play(consented, "mc-1", "hello", sentence, AUDIO)

    assert consent is None
    assert results[1] is not None and CONSENT_THANKS not in results[1].reply
    assert kept(consented, "mc-1") == []
    assert consent_events(consented, "mc-1") == []


def test_agreeing_before_the_question_was_asked_is_no_answer(consented):
    results, consent = play(consented, "mc-2", "I agree", AUDIO)

    assert consent is None and results[0] is not None and CONSENT_THANKS not in results[0].reply
    assert kept(consented, "mc-2") == []


def test_a_later_bare_yes_answers_the_dialog_but_a_later_i_agree_still_answers_the_question(consented):
    late_yes, consent_yes = play(consented, "mc-3", "thank you", "what are your opening hours", "yes", AUDIO)
    _late, consent_agree = play(consented, "mc-13", "hello", "what are your opening hours", "I agree", AUDIO)

    assert consent_yes is None and late_yes[2] is not None and CONSENT_THANKS not in late_yes[2].reply
    assert kept(consented, "mc-3") == []
    assert consent_agree is True and kept(consented, "mc-13") == ["mc-13-t0004-caller.wav"]


def test_a_direct_answer_is_heard_back_and_keeps_the_voice_from_then_on(consented):
    results, consent = play(consented, "mc-4", AUDIO, "yes, I consent", AUDIO)

    assert consent is True
    assert results[1] is not None and results[1].reply == CONSENT_THANKS and results[1].intent == "consent"
    assert kept(consented, "mc-4") == ["mc-4-t0003-caller.wav"]
    assert [(e["consent"], e["how"], e["turn"]) for e in consent_events(consented, "mc-4")] == [(True, "answer", 2)]


def test_a_direct_no_is_heard_back_and_keeps_nothing(consented):
    results, consent = play(consented, "mc-5", "hello", "no, don't record me", AUDIO)

    assert consent is False and results[1] is not None and results[1].reply == CONSENT_DECLINED
    assert kept(consented, "mc-5") == []


def test_an_answer_followed_by_a_request_is_both_taken_and_answered(consented):
    results, consent = play(consented, "mc-6", "hello", "I agree, and I want to borrow $5,000", AUDIO)

    assert consent is True
    reply = results[1]
    assert reply is not None and reply.reply.startswith(CONSENT_THANKS)
    assert reply.intent == "loan_quote" and reply.slots == {"principal": "5000"}


def test_a_bare_yes_answers_only_a_question_that_stood_alone(consented):
    # After a plain statement the recording question is the only one asked: "yes" answers it.
    alone, consent_alone = play(consented, "mc-7", "thank you", "yes")
    # After "how much would you like to borrow?" a bare "yes" is not taken as consent.
    asked, consent_asked = play(consented, "mc-8", "I'd like a loan", "yes")

    assert alone[0] is not None and "?" not in alone[0].reply.split("voice.")[-1]
    assert consent_alone is True
    assert asked[0] is not None and asked[0].reply.rstrip().endswith("?")
    assert consent_asked is None


def test_withdrawing_at_a_later_turn_deletes_what_was_kept(consented):
    results, consent = play(consented, "mc-9", "hello", "I agree", AUDIO, AUDIO, "please stop recording me", AUDIO)

    assert consent is False
    assert results[4] is not None and results[4].reply == CONSENT_WITHDRAWN
    assert kept(consented, "mc-9") == []
    events = consent_events(consented, "mc-9")
    assert [(e["consent"], e["how"], e["deleted_recordings"]) for e in events] == [
        (True, "answer", 0), (False, "withdrawal", 2),
    ]


def test_a_withdrawal_inside_a_request_is_taken_and_the_request_answered(consented):
    results, consent = play(consented, "mc-10", "hello", "I agree", AUDIO,
                            "stop recording me and I want to borrow $5,000")

    assert consent is False and kept(consented, "mc-10") == []
    reply = results[3]
    assert reply is not None and reply.reply.startswith(CONSENT_WITHDRAWN)
    assert reply.slots.get("principal") == "5000"


@pytest.mark.parametrize("said", ["Actually, stop recording me.", "Um, okay, so please delete my recordings."])
def test_a_withdrawal_with_only_fillers_around_it_is_answered_as_a_withdrawal(consented, said):
    results, consent = play(consented, "mc-13", "hello", "I agree", said)

    assert consent is False
    assert results[2] is not None and results[2].reply == CONSENT_WITHDRAWN and results[2].intent == "consent"


def test_a_refusal_wins_over_keep_everything(fake_settings):
    assert fake_settings.audio_retention == "all"
    _results, consent = play(fake_settings, "mc-11", AUDIO, "I do not consent", AUDIO)

    assert consent is False
    assert kept(fake_settings, "mc-11") == []  # the first turn's voice went with the refusal


def test_the_browser_button_can_take_consent_back(consented):
    _results, consent = play(consented, "mc-12", True, AUDIO, AUDIO, False, AUDIO)

    assert consent is False
    assert kept(consented, "mc-12") == []

"""Consent: the disclosure asks, no caller audio is kept before a yes, retention settings and purge."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.compliance import AI_DISCLOSURE, CONSENT_DECLINED, CONSENT_THANKS, consent_in, is_consent_answer
from orchestrator.config import Settings
from orchestrator.sessions.admin import purge_recordings
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes


def play(settings: Settings, sid: str, *steps: str) -> list:
    """Run steps: "AUDIO" is a spoken turn (the fake STT hears "hello"), anything else is typed."""

    async def go() -> list:
        pipeline = make_pipeline(settings)
        try:
            results = []
            for step in steps:
                if step == "AUDIO":
                    results.append(await pipeline.run_turn(sid, audio=wav_bytes(tone(1.0))))
                else:
                    results.append(await pipeline.run_turn(sid, text=step))
            return results
        finally:
            pipeline.store.close()

    return asyncio.run(go())


def kept(settings: Settings, sid: str) -> list[str]:
    return sorted(p.name for p in settings.audio_dir.glob(f"{sid}-t*-caller.wav"))


def test_the_default_keeps_no_voice_until_the_caller_agrees(fake_settings):
    settings = fake_settings.model_copy(update={"audio_retention": "consented"})
    assert Settings.model_fields["audio_retention"].default == "consented"
    first, answer, after = play(settings, "c-1", "AUDIO", "I agree", "AUDIO")
    assert "Say I agree" in first.reply and first.reply.startswith(AI_DISCLOSURE)
    assert (answer.reply, answer.intent) == (CONSENT_THANKS, "consent")
    assert kept(settings, "c-1") == ["c-1-t0003-caller.wav"]  # turn 1 came before the yes
    assert after.intent == "greeting"


def test_a_refusal_keeps_nothing_and_the_dialog_state_is_untouched(fake_settings):
    settings = fake_settings.model_copy(update={"audio_retention": "consented"})
    results = play(settings, "c-2", "I'd like a loan of $5,000", "don't record me", "AUDIO", "over 2 years")
    assert results[1].reply == CONSENT_DECLINED and results[1].state == "collecting_loan"
    assert results[3].slots == {"principal": "5000", "term_months": 24}
    assert kept(settings, "c-2") == []


def test_agreement_before_the_question_was_asked_is_not_consent_but_the_request_is_answered(fake_settings):
    settings = fake_settings.model_copy(update={"audio_retention": "consented"})
    result, _ = play(settings, "c-3", "I agree, and I want to borrow $5,000", "AUDIO")
    assert result.intent == "loan_quote" and result.slots == {"principal": "5000"}
    assert kept(settings, "c-3") == []  # the disclosure asks in the first reply: only the next turn can answer


@pytest.mark.parametrize(
    ("retention", "files"),
    [("off", []), ("all", ["c-4-t0001-caller.wav", "c-4-t0003-caller.wav"])],
)
def test_retention_off_keeps_nothing_even_after_a_yes_and_all_keeps_everything(fake_settings, retention, files):
    settings = fake_settings.model_copy(update={"audio_retention": retention})
    play(settings, "c-4", "AUDIO", "I agree", "AUDIO")
    assert kept(settings, "c-4") == files


def test_the_browser_button_gives_consent(fake_settings):
    settings = fake_settings.model_copy(update={"audio_retention": "consented"})

    async def go() -> None:
        pipeline = make_pipeline(settings)
        try:
            await pipeline.set_consent("c-5", True)
            await pipeline.run_turn("c-5", audio=wav_bytes(tone(1.0)))
            assert pipeline.store.load("c-5").voice_consent is True  # type: ignore[union-attr]
        finally:
            pipeline.store.close()

    asyncio.run(go())
    assert kept(settings, "c-5") == ["c-5-t0001-caller.wav"]


def test_the_retention_purge_deletes_what_is_past_its_time(fake_settings, monkeypatch):
    play(fake_settings, "c-6", "AUDIO", "AUDIO")
    old = fake_settings.audio_dir / "c-6-t0001-caller.wav"
    past = time.time() - 40 * 86_400
    os.utime(old, (past, past))
    assert purge_recordings(fake_settings) == ["c-6-t0001-caller.wav"]
    assert kept(fake_settings, "c-6") == ["c-6-t0002-caller.wav"]
    monkeypatch.setenv("VOICEBOT_AUDIO_RETENTION", "off")
    result = CliRunner().invoke(app, ["sessions", "purge-audio", "--json"])
    assert result.exit_code == 0 and "c-6-t0002-caller.wav" in result.stdout
    assert kept(fake_settings, "c-6") == []


@pytest.mark.parametrize(
    ("text", "consent", "only"),
    [
        ("I agree", True, True), ("yes, I consent", True, True), ("you may record", True, True),
        ("don't record me please", False, True), ("I do not agree", False, True), ("no recording", False, True),
        ("I agree, and I'd like a loan", True, False), ("hello", None, False), ("I'd like a loan", None, False),
    ],
)
def test_consent_phrases(text, consent, only):
    assert consent_in(text) is consent
    assert is_consent_answer(text) is only


def test_an_unknown_retention_setting_is_refused(monkeypatch):
    monkeypatch.setenv("VOICEBOT_AUDIO_RETENTION", "forever")
    result = CliRunner().invoke(app, ["turn", "--text", "hi"])
    assert result.exit_code == 2 and "AUDIO_RETENTION" in result.output

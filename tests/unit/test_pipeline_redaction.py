"""Card numbers never reach the log, the result, the store or the dialog."""

from __future__ import annotations

import sqlite3

from orchestrator.llm.fake import FakeDialog
from orchestrator.stt.fake import FakeSTT
from tests.unit.pipeline_helpers import (
    CARD,
    CARD_DIGITS,
    speech_wav,
)


def assert_no_card(text: str) -> None:
    assert CARD not in text
    assert CARD_DIGITS not in text


async def test_a_card_number_in_typed_text_never_reaches_the_log_the_result_or_the_store(fake_pipeline, fake_settings):
    result = await fake_pipeline.run_turn("s-card", text=f"my card is {CARD}, I want a loan")

    assert "[CARD]" in result.user_text
    assert_no_card(repr(vars(result)))
    assert_no_card("".join(e.model_dump_json() for e in result.events))
    assert_no_card((fake_settings.logs_dir / "s-card.jsonl").read_text(encoding="utf-8"))
    with sqlite3.connect(fake_settings.sessions_dir / "sessions.db") as conn:
        rows = conn.execute("SELECT state_json FROM sessions").fetchall()
    assert rows
    assert_no_card(repr(rows))


async def test_a_card_number_in_a_transcript_never_reaches_the_log_the_result_or_the_store(pipelines, fake_settings):
    pipeline = pipelines(stt=FakeSTT([f"pay with {CARD_DIGITS} please"]))

    result = await pipeline.run_turn("s-card-audio", audio=speech_wav())

    assert result.transcript == "pay with [CARD] please"
    assert_no_card(repr(vars(result)))
    assert_no_card((fake_settings.logs_dir / "s-card-audio.jsonl").read_text(encoding="utf-8"))
    state = pipeline.store.load("s-card-audio")
    assert state is not None
    assert_no_card(state.model_dump_json())


async def test_the_dialog_only_ever_sees_redacted_text(pipelines):
    dialog = FakeDialog(["ok"])
    pipeline = pipelines(dialog=dialog)

    await pipeline.run_turn("s-card-dialog", text=f"card {CARD}")

    assert dialog.heard == ["card [CARD]"]


async def test_a_card_number_cut_by_the_text_limit_is_still_masked(pipelines, fake_settings):
    pipeline = pipelines(fake_settings.model_copy(update={"max_text_chars": 20}))

    result = await pipeline.run_turn("s-card-cut", text=f"my card {CARD}")

    assert "4111 1111" not in result.user_text
    assert "4111 1111" not in (fake_settings.logs_dir / "s-card-cut.jsonl").read_text(encoding="utf-8")

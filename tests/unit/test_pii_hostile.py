"""Hostile input: every case gets a redaction or a refusal, never a traceback, and nothing leaks.

Timing is never asserted here (the machine is shared): ``voicebot bench``
reports ``redact_100kb_ms``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.compliance import MAX_INPUT_CHARS, redact, redact_message
from orchestrator.errors import TextTooLongError
from orchestrator.leakscan import scan
from orchestrator.pii.bench import hostile_texts
from tests.conftest import make_pipeline

ONE_MB = "card " + "1-" * (512 * 1024)
ARABIC_CARD = " ".join(["\u0664" + "\u0661" * 3] + ["\u0661" * 4] * 3)  # 4111 1111 1111 1111, Arabic-Indic
FULL_WIDTH_CARD = " ".join(["\uff14" + "\uff11" * 3] + ["\uff11" * 4] * 3)


@pytest.mark.parametrize("name", sorted(hostile_texts(1000)))
def test_every_hostile_form_is_redacted_and_leaves_no_card(name):
    for size in (1000, MAX_INPUT_CHARS):
        text = hostile_texts(size)[name]

        redacted = redact(text)

        assert isinstance(redacted, str)
        assert not [f for f in scan(redacted) if f.kind == "card"], name


def test_the_issue_example_is_masked_whole_after_its_card_cue():
    assert redact("card " + "1-" * 8000) == "card [CARD]-"


@pytest.mark.parametrize(
    "text",
    [
        "card " + ARABIC_CARD,
        FULL_WIDTH_CARD,
        "4\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1\u200b1",
        "4111\u20131111\u20131111\u20131111",  # en dashes
        "4111\n1111\n1111\n1111",
        "\ud800 4111 1111 1111 1111 \x01",  # a lone surrogate and a NUL around it
        "İİİ 4111 1111 1111 1111 ǅ",  # letters whose lower case is longer
    ],
)
def test_unusual_digits_and_separators_still_hide_the_card(text):
    redacted = redact(text)

    assert not any(ch.isdigit() for ch in redacted)
    assert "[CARD]" in redacted


def test_a_text_over_the_limit_is_withheld_whole_without_being_scanned():
    redacted = redact(ONE_MB)

    assert redacted == f"[WITHHELD: {len(ONE_MB)} characters]"


def test_a_message_over_the_limit_is_refused_as_too_long():
    with pytest.raises(TextTooLongError, match="message too long"):
        asyncio.run(redact_message(ONE_MB, 2000))


def test_a_long_message_under_the_limit_is_redacted_then_cut():
    text = "my card is 4111, 1111, 1111, 1111. " + "please " * 10_000

    assert asyncio.run(redact_message(text, 30)) == "my card is [CARD]. please plea"


def test_the_pipeline_refuses_a_one_megabyte_message_and_logs_no_part_of_it(fake_settings):
    pipeline = make_pipeline(fake_settings)
    try:
        with pytest.raises(TextTooLongError) as caught:
            asyncio.run(pipeline.run_turn("s-huge", text=ONE_MB))
    finally:
        pipeline.store.close()

    assert [e.type for e in caught.value.turn_events][-2:] == ["error", "turn_ended"]
    log = (fake_settings.logs_dir / "s-huge.jsonl").read_text(encoding="utf-8")
    assert "text_too_long" in log and "1-1-1" not in log


@pytest.mark.parametrize("as_json", [False, True])
def test_voicebot_turn_refuses_a_one_megabyte_message_with_exit_2(home: Path, as_json):
    runner = CliRunner()
    args = ["turn", *(["--json"] if as_json else []), "--text", ONE_MB]

    result = runner.invoke(app, args, env={"VOICEBOT_HOME": str(home), "VOICEBOT_STT": "fake",
                                          "VOICEBOT_TTS": "fake"})

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    if as_json:
        assert '"category": "text_too_long"' in result.stdout
    else:
        assert "message too long" in result.stderr


def test_voicebot_turn_reads_a_message_from_standard_input(home: Path):
    runner = CliRunner()

    result = runner.invoke(app, ["turn", "--json", "--text", "-"], input=ONE_MB,
                           env={"VOICEBOT_HOME": str(home), "VOICEBOT_STT": "fake", "VOICEBOT_TTS": "fake"})

    assert result.exit_code == 2 and '"category": "text_too_long"' in result.stdout

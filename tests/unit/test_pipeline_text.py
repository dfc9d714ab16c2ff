"""A text turn through the pipeline on the scripted fakes: its result, events, audio and log."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from orchestrator.events import (
    DialogReply,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)
from orchestrator.pipeline import TurnResult
from orchestrator.trace import read_jsonl
from orchestrator.tts.chunking import split_for_speech
from orchestrator.tts.fake import FakeTTS
from tests.unit.pipeline_helpers import (
    FIRST_GREETING,
    ISSUE_EXAMPLE,
    types,
)


async def test_a_text_turn_returns_reply_intent_slots_and_stage_timings(fake_pipeline):
    result = await fake_pipeline.run_turn("s-text", text="hello")

    assert isinstance(result, TurnResult)
    assert result.session_id == "s-text"
    assert result.turn == 1
    assert result.user_text == "hello"
    assert result.transcript is None and result.confidence is None
    assert result.reply == FIRST_GREETING
    assert result.intent == "greeting"
    assert result.slots == {}
    assert set(result.timings_ms) == {"dialog", "tts", "tts_first_audio", "total"}
    assert all(ms >= 0 for ms in result.timings_ms.values())
    assert result.voice_to_voice_ms is None
    assert result.sample_rate == 16_000
    assert result.audio.dtype == np.float32 and result.audio.size > 0
    assert result.wav_bytes()[:4] == b"RIFF"


async def test_a_loan_question_is_confirmed_then_quoted_through_the_pipeline(fake_pipeline):
    confirm = await fake_pipeline.run_turn("s-loan", text=ISSUE_EXAMPLE)
    result = await fake_pipeline.run_turn("s-loan", text="yes")

    assert (confirm.state, confirm.figures) == ("confirming", {})
    assert result.intent == "loan_quote"
    assert result.state == "quoted"
    assert result.figures == {
        "payment": "489.15", "final_payment": "489.35", "apr": "6.50", "total": "29349.20", "total_interest": "4349.20",
    }
    assert "$489.15" in result.reply


async def test_a_text_turn_emits_exactly_the_text_event_sequence(fake_pipeline):
    result = await fake_pipeline.run_turn("s-seq", text="hello")

    pieces = split_for_speech(FIRST_GREETING)
    assert types(result.events) == [
        "turn_started", "dialog_reply", *["tts_chunk"] * len(pieces), "tts_audio", "turn_ended"
    ]
    started, reply = result.events[0], result.events[1]
    assert isinstance(started, TurnStarted) and started.input_kind == "text"
    assert started.backends == {"stt": "fake", "tts": "fake", "llm": "rules"}
    assert isinstance(reply, DialogReply) and reply.text == FIRST_GREETING and reply.backend == "rules"
    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert [c.index for c in chunks] == list(range(len(pieces)))
    assert [c.text for c in chunks] == pieces
    audio = result.events[-2]
    assert isinstance(audio, TTSAudio) and audio.chunks == len(pieces) and audio.sample_rate == 16_000
    ended = result.events[-1]
    assert isinstance(ended, TurnEnded) and ended.ok and ended.timings_ms == result.timings_ms


async def test_the_spoken_audio_is_the_chunks_joined_with_short_pauses(fake_pipeline):
    result = await fake_pipeline.run_turn("s-len", text="hello")

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    # FakeTTS: 50 ms per character of the speakable text; 0.12 s pause between pieces.
    expected_s = sum(c.audio_s for c in chunks) + 0.12 * (len(chunks) - 1)
    assert len(result.audio) / result.sample_rate == pytest.approx(expected_s, abs=0.01)
    assert result.events[-2].audio_s == pytest.approx(expected_s, abs=0.01)


async def test_the_voice_is_given_speakable_text_without_digits(pipelines):
    tts = FakeTTS()
    pipeline = pipelines(tts=tts)

    await pipeline.run_turn("s-speak", text=ISSUE_EXAMPLE)
    await pipeline.run_turn("s-speak", text="yes")

    assert tts.spoken and not any(ch.isdigit() for text in tts.spoken for ch in text)
    assert any("four hundred eighty nine dollars and fifteen cents" in text for text in tts.spoken)


async def test_every_event_carries_session_turn_wall_time_and_mono_time(fake_pipeline):
    result = await fake_pipeline.run_turn("s-stamp", text="hello")

    for event in result.events:
        assert event.session_id == "s-stamp"
        assert event.turn == 1
        assert isinstance(event.wall_time, datetime) and event.wall_time.tzinfo is not None
        assert isinstance(event.mono_time, float)


async def test_the_jsonl_log_holds_exactly_the_turns_events(fake_pipeline, fake_settings):
    result = await fake_pipeline.run_turn("s-log", text="hello")

    logged = list(read_jsonl(fake_settings.logs_dir / "s-log.jsonl"))
    assert logged == result.events


async def test_long_text_is_cut_to_max_text_chars(pipelines, fake_settings):
    settings = fake_settings.model_copy(update={"max_text_chars": 10})
    pipeline = pipelines(settings)

    result = await pipeline.run_turn("s-long", text="  hello there, how are you  ")

    assert result.user_text == "hello ther"

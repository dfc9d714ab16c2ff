"""orchestrator.ui: the browser chat session: typed, spoken and uploaded turns, limits and friendly errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.dialog.phrases import GREETING
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.ids import validate_session_id
from orchestrator.stt.fake import FakeSTT
from orchestrator.ui import ChatSession
from orchestrator.ui.session import MIC_SAMPLE_RATE
from tests.conftest import make_pipeline
from tests.unit.helpers import pcm16, silence, tone, wav_bytes

FIRST_GREETING = f"{AI_DISCLOSURE} {GREETING}"  # a session's first reply opens with the disclosure


@pytest.fixture
def short_limit_pipeline(fake_settings: Settings) -> Iterator[Pipeline]:
    """Fake backends, but the audio limit is one second."""
    pipeline = make_pipeline(fake_settings.model_copy(update={"max_audio_seconds": 1.0}), stt=FakeSTT(["hello"]))
    yield pipeline
    pipeline.store.close()


def mic_chunks(samples: np.ndarray, chunk_s: float = 0.1) -> list[bytes]:
    data = pcm16(samples)
    size = int(MIC_SAMPLE_RATE * chunk_s) * 2
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_new_chat_gets_a_valid_session_id_and_a_welcome(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    assert validate_session_id(chat.session_id) == chat.session_id
    assert "VoiceBot Workbench" in chat.welcome
    assert ChatSession(fake_pipeline, "given-id").session_id == "given-id"


async def test_a_text_turn_gives_the_reply_and_wav_bytes(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("hello")

    assert outcome.error is None
    assert outcome.reply == FIRST_GREETING
    assert outcome.wav is not None and outcome.wav[:4] == b"RIFF"
    assert outcome.result is not None and outcome.result.session_id == chat.session_id
    assert outcome.steps


async def test_turns_of_one_chat_share_its_session(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    await chat.text_turn("I want a loan of 25,000 dollars")
    await chat.text_turn("over 5 years at 6.5 percent")
    outcome = await chat.text_turn("yes")

    assert outcome.result is not None and outcome.result.turn == 3
    assert "$489.15" in (outcome.reply or "")
    # A quote comes with its schedule: the table and the balance chart.
    assert outcome.schedule is not None
    assert outcome.schedule.periods == 60
    assert "$489.35" in outcome.schedule.table_markdown
    assert outcome.schedule.png[:8] == b"\x89PNG\r\n\x1a\n"


async def test_an_empty_message_gives_a_friendly_error_instead_of_raising(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("   ")

    assert outcome.reply is None and outcome.wav is None
    assert outcome.error == "the message is empty: type or say something"
    assert [s.name for s in outcome.steps] == ["Error in input"]


async def test_an_unexpected_failure_gives_a_generic_error_instead_of_raising(fake_pipeline, monkeypatch):
    async def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(fake_pipeline, "run_turn", explode)
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("hello")

    assert outcome.error is not None and "Something went wrong" in outcome.error
    assert "database on fire" not in outcome.error
    assert outcome.steps == []


async def test_a_microphone_recording_of_a_24k_tone_runs_an_audio_turn(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    chat.start_recording()
    for chunk in mic_chunks(np.concatenate([silence(0.2, MIC_SAMPLE_RATE), tone(1.0, MIC_SAMPLE_RATE, amp=0.3)])):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is None, outcome.error
    assert outcome.reply == FIRST_GREETING
    assert outcome.result is not None and outcome.result.transcript == "hello"
    assert outcome.wav is not None and outcome.wav[:4] == b"RIFF"
    assert [s.name.split(" - ")[0] for s in outcome.steps][:2] == ["Audio", "Speech-to-text"]


async def test_a_recording_past_the_limit_gives_an_error_and_is_forgotten(short_limit_pipeline):
    chat = ChatSession(short_limit_pipeline)
    chat.start_recording()
    for chunk in mic_chunks(tone(2.0, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error == "That recording is longer than the 1 s limit. Please keep it shorter."
    assert outcome.reply is None and outcome.steps == []

    # The next, shorter recording works.
    for chunk in mic_chunks(tone(0.5, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)
    retry = await chat.audio_turn()
    assert retry.error is None and retry.reply == FIRST_GREETING


async def test_a_recording_just_under_the_limit_is_accepted(short_limit_pipeline):
    chat = ChatSession(short_limit_pipeline)
    for chunk in mic_chunks(tone(0.9, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is None


async def test_an_empty_recording_gives_a_friendly_error(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    chat.start_recording()

    outcome = await chat.audio_turn()

    assert outcome.error == "no audio was recorded"


async def test_a_silent_recording_gives_a_friendly_error(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    for chunk in mic_chunks(silence(1.0, MIC_SAMPLE_RATE)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is not None and "no speech heard" in outcome.error
    assert [s.name for s in outcome.steps] == ["Error in audio"]


async def test_start_recording_discards_what_was_recorded_before(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    for chunk in mic_chunks(tone(1.0, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    chat.start_recording()
    outcome = await chat.audio_turn()

    assert outcome.error == "no audio was recorded"


async def test_an_uploaded_file_runs_an_audio_turn(fake_pipeline, tmp_path: Path):
    path = tmp_path / "upload.wav"
    path.write_bytes(wav_bytes(tone(1.0, 44_100, amp=0.3), 44_100, channels=2))
    chat = ChatSession(fake_pipeline)

    outcome = await chat.file_turn(path)

    assert outcome.error is None and outcome.reply == FIRST_GREETING


async def test_a_corrupt_upload_gives_a_friendly_error(fake_pipeline, tmp_path: Path):
    path = tmp_path / "upload.wav"
    path.write_text("not audio")

    outcome = await ChatSession(fake_pipeline).file_turn(path)

    assert outcome.error is not None and "not audio that can be decoded" in outcome.error

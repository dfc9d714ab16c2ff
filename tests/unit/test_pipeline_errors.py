"""A failing turn: the error event names the stage and category, and the session stays usable."""

from __future__ import annotations

import pytest

from orchestrator.errors import (
    AudioTooLongError,
    BackendError,
    BackendTimeoutError,
    CorruptAudioError,
    EmptyTextError,
    InvalidSessionIdError,
    SilentAudioError,
    VoicebotError,
)
from orchestrator.events import (
    ErrorEvent,
)
from orchestrator.pipeline import AudioInput
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import read_jsonl
from tests.unit.helpers import pcm16, silence, wav_bytes
from tests.unit.pipeline_helpers import (
    BrokenTTS,
    ExplodingSTT,
    speech_wav,
    types,
)


def error_of(exc: VoicebotError) -> ErrorEvent:
    (event,) = [e for e in exc.turn_events if isinstance(e, ErrorEvent)]
    return event


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
async def test_empty_text_ends_the_turn_with_an_input_error_event(fake_pipeline, fake_settings, text):
    with pytest.raises(EmptyTextError) as info:
        await fake_pipeline.run_turn("s-empty", text=text)

    events = list(info.value.turn_events)
    assert types(events) == ["turn_started", "error", "turn_ended"]
    error = events[1]
    assert (error.stage, error.category, error.retryable) == ("input", "empty_text", False)
    assert error.message == info.value.message
    assert events[2].ok is False
    assert list(read_jsonl(fake_settings.logs_dir / "s-empty.jsonl")) == events


async def test_silent_audio_ends_the_turn_with_a_silent_audio_error(pipelines):
    stt = FakeSTT(["hello"])
    pipeline = pipelines(stt=stt)

    with pytest.raises(SilentAudioError) as info:
        await pipeline.run_turn("s-silent", audio=wav_bytes(silence(2.0)))

    assert types(info.value.turn_events) == ["turn_started", "error", "turn_ended"]
    error = error_of(info.value)
    assert (error.stage, error.category, error.retryable) == ("audio", "silent_audio", False)
    assert stt.calls == []  # the recogniser never ran


async def test_silent_microphone_audio_is_a_silent_audio_error(fake_pipeline):
    with pytest.raises(SilentAudioError):
        await fake_pipeline.run_turn(
            "s-silent-mic", audio=AudioInput(pcm=pcm16(silence(1.0, 24_000)), sample_rate=24_000)
        )


async def test_corrupt_audio_is_an_audio_stage_error(fake_pipeline):
    with pytest.raises(CorruptAudioError) as info:
        await fake_pipeline.run_turn("s-corrupt", audio=b"this is not audio at all" * 10)

    error = error_of(info.value)
    assert (error.stage, error.category) == ("audio", "corrupt_audio")


async def test_audio_over_the_configured_limit_is_rejected(pipelines, fake_settings):
    pipeline = pipelines(fake_settings.model_copy(update={"max_audio_seconds": 1.0}))

    with pytest.raises(AudioTooLongError) as info:
        await pipeline.run_turn("s-toolong", audio=speech_wav(seconds=2.0))

    assert error_of(info.value).category == "audio_too_long"


async def test_a_transcript_with_no_words_is_reported_instead_of_dropped(pipelines):
    pipeline = pipelines(stt=FakeSTT([""]))

    with pytest.raises(SilentAudioError) as info:
        await pipeline.run_turn("s-nowords", audio=speech_wav())

    assert types(info.value.turn_events) == ["turn_started", "audio_received", "transcript", "error", "turn_ended"]
    error = error_of(info.value)
    assert (error.stage, error.category) == ("stt", "silent_audio")
    assert info.value.turn_events[-1].ok is False


async def test_a_crashing_recogniser_becomes_a_backend_error_and_the_session_stays_usable(pipelines):
    pipeline = pipelines(stt=ExplodingSTT(RuntimeError("CUDA exploded")))
    await pipeline.run_turn("s-crash", text="I want a loan of 25,000 dollars")

    with pytest.raises(BackendError) as info:
        await pipeline.run_turn("s-crash", audio=speech_wav())

    assert isinstance(info.value.__cause__, RuntimeError)
    assert "CUDA exploded" in info.value.message
    error = error_of(info.value)
    assert (error.stage, error.category, error.retryable) == ("stt", "backend", False)
    assert info.value.turn_events[-1].ok is False

    after = await pipeline.run_turn("s-crash", text="over 5 years")
    assert after.turn == 3
    assert after.slots == {"principal": "25000", "term_months": 60}  # memory from turn 1 kept


async def test_a_recogniser_timeout_is_reported_as_retryable(pipelines):
    pipeline = pipelines(stt=ExplodingSTT(BackendTimeoutError("too slow", stage="stt")))

    with pytest.raises(BackendTimeoutError) as info:
        await pipeline.run_turn("s-timeout", audio=speech_wav())

    error = error_of(info.value)
    assert (error.stage, error.category, error.retryable) == ("stt", "timeout", True)


async def test_a_failing_voice_fails_the_turn_at_the_tts_stage_and_keeps_the_old_dialog_state(pipelines):
    good = pipelines()
    await good.run_turn("s-tts", text="I want a loan of 25,000 dollars")
    good.store.close()
    broken = pipelines(tts=BrokenTTS())

    with pytest.raises(BackendError) as info:
        await broken.run_turn("s-tts", text="over 5 years")

    assert error_of(info.value).stage == "tts"
    assert "dialog_reply" in types(info.value.turn_events)
    state = broken.store.load("s-tts")
    assert state is not None
    assert state.turns == 2  # the failed turn still counts
    assert state.dialog["loan"] == {"principal": "25000"}
    assert len(state.history) == 1


async def test_a_failed_turn_still_advances_the_turn_counter(fake_pipeline):
    with pytest.raises(EmptyTextError):
        await fake_pipeline.run_turn("s-count", text="")

    result = await fake_pipeline.run_turn("s-count", text="hello")

    assert result.turn == 2


@pytest.mark.parametrize("sid", ["../etc/passwd", "a/b", "", "x" * 65, "a b", "\x00"])
async def test_an_invalid_session_id_is_rejected_before_anything_is_written(fake_pipeline, fake_settings, sid):
    with pytest.raises(InvalidSessionIdError):
        await fake_pipeline.run_turn(sid, text="hello")

    assert list(fake_settings.logs_dir.iterdir()) == []
    assert fake_pipeline.store.list_ids() == []


@pytest.mark.parametrize("kwargs", [{}, {"text": "hello", "audio": b"RIFF"}])
async def test_exactly_one_of_text_and_audio_is_required(fake_pipeline, fake_settings, kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        await fake_pipeline.run_turn("s-both", **kwargs)

    assert list(fake_settings.logs_dir.iterdir()) == []
    assert fake_pipeline.store.list_ids() == []

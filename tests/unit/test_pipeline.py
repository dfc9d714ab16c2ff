"""orchestrator.pipeline on the scripted fakes: results, event order, sessions, errors and redaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from orchestrator.audio import TARGET_RATE
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.dialog.phrases import GREETING
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
    AudioReceived,
    DialogReply,
    ErrorEvent,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)
from orchestrator.llm.fake import FakeDialog
from orchestrator.pipeline import AudioInput, Pipeline, TurnResult
from orchestrator.runtime import build_pipeline, load_backends
from orchestrator.stt.base import Transcription
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import read_jsonl
from orchestrator.tts.chunking import split_for_speech
from orchestrator.tts.fake import FakeTTS
from tests.conftest import make_pipeline
from tests.unit.helpers import pcm16, silence, tone, wav_bytes

ISSUE_EXAMPLE = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"
FIRST_GREETING = f"{AI_DISCLOSURE} {GREETING}"  # the first reply of a session opens with the disclosure
CARD = "4111 1111 1111 1111"
CARD_DIGITS = CARD.replace(" ", "")


def speech_wav(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """A tone with half a second of silence either side: 'speech' as far as the pipeline can tell."""
    return wav_bytes(np.concatenate([silence(0.5, rate), tone(seconds, rate, amp=0.3), silence(0.5, rate)]), rate)


def types(events) -> list[str]:
    return [e.type for e in events]


@pytest.fixture
def pipelines(fake_settings: Settings) -> Iterator[Callable[..., Pipeline]]:
    """Build pipelines on the shared fake settings; every store is closed afterwards."""
    made: list[Pipeline] = []

    def build(settings: Settings | None = None, **backends: object) -> Pipeline:
        pipeline = make_pipeline(settings or fake_settings, **backends)
        made.append(pipeline)
        return pipeline

    yield build
    for pipeline in made:
        pipeline.store.close()


class ExplodingSTT:
    """Raises ``error`` on the first ``failures`` calls, then hears ``text``."""

    name = "exploding"

    def __init__(self, error: Exception, failures: int = 1, text: str = "hello") -> None:
        self.error = error
        self.failures = failures
        self.text = text

    def transcribe(self, samples: np.ndarray) -> Transcription:
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return Transcription(text=self.text, confidence=0.9)


class BrokenTTS(FakeTTS):
    name = "broken"

    def synthesize(self, text: str) -> np.ndarray:
        raise BackendError("voice crashed", stage="tts")


# -- a successful text turn ---------------------------------------------------------------------


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


# -- a successful audio turn ---------------------------------------------------------------------


async def test_an_audio_turn_emits_the_audio_event_sequence(pipelines):
    pipeline = pipelines(stt=FakeSTT(["hello"]))

    result = await pipeline.run_turn("s-audio", audio=speech_wav())

    pieces = split_for_speech(FIRST_GREETING)
    assert types(result.events) == [
        "turn_started", "audio_received", "transcript", "dialog_reply",
        *["tts_chunk"] * len(pieces), "tts_audio", "turn_ended",
    ]
    assert result.events[0].input_kind == "audio"
    assert result.transcript == "hello" and result.confidence == pytest.approx(0.99)
    assert set(result.timings_ms) == {"audio", "stt", "dialog", "tts", "tts_first_audio", "total"}
    assert result.voice_to_voice_ms is not None and result.voice_to_voice_ms >= 0
    assert result.reply == FIRST_GREETING


async def test_audio_is_decoded_and_trimmed_before_transcription(pipelines):
    stt = FakeSTT(["hello"])
    pipeline = pipelines(stt=stt)

    result = await pipeline.run_turn("s-trim", audio=wav_bytes(np.concatenate(
        [silence(2.0, 44_100), tone(1.0, 44_100, amp=0.3), silence(2.0, 44_100)]), 44_100, channels=2))

    received = next(e for e in result.events if isinstance(e, AudioReceived))
    assert received.sample_rate == 44_100 and received.channels == 2
    assert received.duration_s == pytest.approx(5.0, abs=0.02)
    assert 1.0 <= received.speech_s <= 1.4  # the tone plus at most the trim padding
    assert stt.calls == [pytest.approx(received.speech_s * TARGET_RATE, abs=8)]  # speech_s is rounded to 1 ms


async def test_an_audio_file_path_is_accepted(pipelines, tmp_path: Path):
    path = tmp_path / "caller.wav"
    path.write_bytes(speech_wav(rate=8_000))
    pipeline = pipelines(stt=FakeSTT(["what can you do"]))

    result = await pipeline.run_turn("s-path", audio=path)

    assert result.intent == "help"


async def test_microphone_pcm_at_24k_is_accepted(pipelines):
    pipeline = pipelines(stt=FakeSTT(["hello"]))

    mic = AudioInput(pcm=pcm16(tone(1.0, 24_000, amp=0.3)), sample_rate=24_000)

    result = await pipeline.run_turn("s-mic", audio=mic)

    received = next(e for e in result.events if isinstance(e, AudioReceived))
    assert received.sample_rate == 24_000 and received.channels == 1
    assert result.intent == "greeting"


async def test_each_spoken_chunk_is_handed_to_the_callback_in_order(fake_pipeline):
    got: list[tuple[int, int, int]] = []

    async def on_chunk(index: int, samples: np.ndarray, rate: int) -> None:
        got.append((index, len(samples), rate))

    result = await fake_pipeline.run_turn("s-cb", text="hello", on_audio_chunk=on_chunk)

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert [i for i, _, _ in got] == [c.index for c in chunks]
    assert [n for _, n, _ in got] == [pytest.approx(c.audio_s * 16_000, abs=8) for c in chunks]
    assert {r for _, _, r in got} == {16_000}


# -- sessions ----------------------------------------------------------------------------------------


async def test_the_same_session_id_continues_the_conversation(fake_pipeline):
    first = await fake_pipeline.run_turn("s-cont", text="I want a loan of 25,000 dollars")
    second = await fake_pipeline.run_turn("s-cont", text="over 5 years")
    third = await fake_pipeline.run_turn("s-cont", text="at 6.5 percent")
    fourth = await fake_pipeline.run_turn("s-cont", text="yes")

    assert [first.turn, second.turn, third.turn, fourth.turn] == [1, 2, 3, 4]
    assert second.slots == {"principal": "25000", "term_months": 60}
    assert third.state == "confirming"
    assert fourth.figures["payment"] == "489.15"


async def test_slots_persist_across_a_new_pipeline_on_the_same_sqlite_file(pipelines):
    first = pipelines()
    await first.run_turn("s-persist", text="I want a loan of 25,000 dollars over 5 years")
    first.store.close()

    second = pipelines()  # a new process would do exactly this
    result = await second.run_turn("s-persist", text="6.5 percent")

    assert result.turn == 2
    assert result.state == "confirming"
    assert result.slots == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}
    state = second.store.load("s-persist")
    assert state is not None and state.turns == 2
    assert [h.user for h in state.history] == ["I want a loan of 25,000 dollars over 5 years", "6.5 percent"]
    assert [h.input_kind for h in state.history] == ["text", "text"]


async def test_different_sessions_do_not_share_dialog_memory(fake_pipeline):
    await fake_pipeline.run_turn("s-a", text="I want a loan of 25,000 dollars")

    other = await fake_pipeline.run_turn("s-b", text="over 5 years")

    assert other.turn == 1
    assert other.slots == {"term_months": 60}


async def test_concurrent_turns_on_one_session_are_serialised(pipelines):
    dialog = FakeDialog(["one", "two"])
    pipeline = pipelines(dialog=dialog)

    a, b = await asyncio.gather(
        pipeline.run_turn("s-race", text="first"), pipeline.run_turn("s-race", text="second")
    )

    assert sorted([a.turn, b.turn]) == [1, 2]
    state = pipeline.store.load("s-race")
    assert state is not None and state.turns == 2 and len(state.history) == 2
    assert state.dialog["fake_turns"] == 2  # the second turn saw the first turn's memory


# -- errors ----------------------------------------------------------------------------------------


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


# -- redaction ------------------------------------------------------------------------------------


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


# -- TTS cache ------------------------------------------------------------------------------------------


async def test_fixed_phrases_are_served_from_the_cache_after_warm_up(pipelines):
    tts = FakeTTS()
    stt = FakeSTT(["hello"])
    pipeline = pipelines(stt=stt, tts=tts)

    pipeline.warm_up()
    assert len(stt.calls) == 1  # the recogniser ran once
    spoken_at_warm_up = len(tts.spoken)

    result = await pipeline.run_turn("s-cache", text="hello")

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert chunks and all(c.cached for c in chunks)
    assert len(tts.spoken) == spoken_at_warm_up  # the voice was not used for the greeting


async def test_without_warm_up_the_greeting_is_synthesized_by_the_voice(pipelines):
    tts = FakeTTS()
    pipeline = pipelines(tts=tts)

    result = await pipeline.run_turn("s-nocache", text="hello")

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert not any(c.cached for c in chunks)
    assert len(tts.spoken) == len(chunks)


async def test_a_quote_with_new_figures_is_never_served_from_the_cache(pipelines):
    pipeline = pipelines()
    pipeline.warm_up()

    await pipeline.run_turn("s-quote", text=ISSUE_EXAMPLE)
    result = await pipeline.run_turn("s-quote", text="yes")

    by_text = {e.text: e.cached for e in result.events if isinstance(e, TTSChunk)}
    assert by_text["Here is your estimate."] is True
    assert [cached for text, cached in by_text.items() if "$489.15" in text] == [False]


# -- runtime wiring --------------------------------------------------------------------------------------


async def test_build_pipeline_on_fake_settings_runs_a_turn(fake_settings):
    pipeline = build_pipeline(fake_settings, warm=False)
    try:
        result = await pipeline.run_turn("s-built", text="hello")
    finally:
        pipeline.store.close()

    assert pipeline.backends == {"stt": "fake", "tts": "fake", "llm": "rules"}
    assert result.reply == FIRST_GREETING
    assert (fake_settings.logs_dir / "s-built.jsonl").exists()


def test_backends_are_loaded_once_per_process_for_the_same_settings(fake_settings):
    first = load_backends(fake_settings)
    second = load_backends(fake_settings.model_copy())

    assert all(a is b for a, b in zip(first, second, strict=True))


async def test_the_sentences_of_a_fixed_phrase_are_cached_even_without_warm_up(fake_pipeline):
    from orchestrator.events import TTSChunk

    first = await fake_pipeline.run_turn("cache-a", text="hello")
    second = await fake_pipeline.run_turn("cache-b", text="hello")
    first_chunks = [e for e in first.events if isinstance(e, TTSChunk)]
    second_chunks = [e for e in second.events if isinstance(e, TTSChunk)]
    assert len(first_chunks) >= 2  # the greeting is more than one sentence
    assert not any(c.cached for c in first_chunks)
    assert all(c.cached for c in second_chunks)


async def test_concurrent_turns_of_one_session_run_one_after_the_other_and_lose_nothing(fake_pipeline):
    import asyncio

    results = await asyncio.gather(
        fake_pipeline.run_turn("busy", text="I want to borrow 25,000 dollars"),
        fake_pipeline.run_turn("busy", text="over 5 years"),
        fake_pipeline.run_turn("busy", text="at 6.5 percent"),
    )
    assert sorted(r.turn for r in results) == [1, 2, 3]
    state = fake_pipeline.store.load("busy")
    assert state.turns == 3 and len(state.history) == 3
    assert state.dialog["loan"] == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}

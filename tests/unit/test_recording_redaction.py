"""A kept recording has its personal data silenced where the word timings put it, or is not kept at all.

The scripted STT hears the caller, then (a second line) the silenced audio:
what it hears the second time is what the oracle checks.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from orchestrator.errors import BackendError
from orchestrator.events import RecordingStored
from orchestrator.leakscan import scan
from orchestrator.pii.audio import LEAD_S, TAIL_S, Silence, locate, silence
from orchestrator.pipeline import AudioInput
from orchestrator.stt.base import Transcription, Word
from orchestrator.stt.fake import FakeSTT
from tests.unit.helpers import pcm16, tone
from tests.unit.helpers import silence as quiet
from tests.unit.pipeline_helpers import speech_wav

CARD = "4111 1111 1111 1111"
RATE = 16_000


def said(*timed: tuple[str, float, float]) -> tuple[str, tuple[Word, ...]]:
    words = tuple(Word(text, start, end) for text, start, end in timed)
    return " ".join(w.text for w in words), words


def test_a_card_span_becomes_the_samples_of_its_words_with_a_margin_and_the_trim_offset():
    text, words = said(("My", 0.0, 0.2), ("card", 0.2, 0.5), ("is", 0.5, 0.6), ("4111,", 0.8, 1.2),
                       ("1111,", 1.3, 1.7), ("1111,", 1.8, 2.2), ("1111.", 2.3, 2.8), ("Thanks.", 3.0, 3.4))

    ranges = locate(text, words, audio_s=3.5, offset=8000)

    assert ranges == [Silence(8000 + int((0.8 - LEAD_S) * RATE), 8000 + int(np.ceil((2.8 + TAIL_S) * RATE)),
                              "card")]


def test_two_numbers_are_two_ranges_and_a_text_without_personal_data_has_none():
    text, words = said(("card", 0.0, 0.3), ("4111111111111111", 0.4, 1.4), ("and", 1.5, 1.7), ("CVV", 2.0, 2.3),
                       ("123", 2.4, 2.9))

    assert [r.kind for r in locate(text, words, audio_s=3.0)] == ["card", "cvv"]
    assert locate(*said(("I", 0.0, 0.1), ("want", 0.1, 0.4), ("25,000", 0.5, 1.0), ("dollars", 1.0, 1.5)),
                  audio_s=2.0) == []


@pytest.mark.parametrize(
    ("words", "why"),
    [
        ((), "no timings at all"),
        ((Word("My", 0.0, 0.2), Word("card", 0.2, 0.5), Word("is", 0.5, 0.6)), "the number has no word"),
        ((Word("My", 0.0, 0.2), Word("card", 0.2, 0.5), Word("is", 0.5, 0.6), Word("4111111111111112", 0.7, 1.5)),
         "the words spell another number"),
        ((Word("My", 0.0, 0.2), Word("card", 0.2, 0.5), Word("is", 0.5, 0.6), Word("4111111111111111", 0.7, 9.0)),
         "the number ends after the audio"),
        ((Word("My", 0.0, 0.2), Word("card", 0.2, 0.5), Word("is", 0.5, 0.6), Word("4111111111111111", 1.2, 0.7)),
         "the number ends before it starts"),
    ],
)
def test_a_span_that_cannot_be_placed_in_time_makes_the_recording_unplaceable(words, why):
    assert locate("My card is 4111111111111111", words, audio_s=2.0) is None, why


def test_silencing_zeroes_only_the_ranges_and_leaves_the_input_untouched():
    samples = np.full(100, 0.5, dtype=np.float32)

    out = silence(samples, [Silence(10, 20, "card"), Silence(90, 120, "cvv")])

    assert np.flatnonzero(out == 0.0).tolist() == [*range(10, 20), *range(90, 100)]
    assert (samples == 0.5).all()


def stored(result) -> RecordingStored:
    return next(e for e in result.events if isinstance(e, RecordingStored))


def wav_samples(path) -> np.ndarray:
    with wave.open(io.BytesIO(path.read_bytes())) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


async def test_a_card_said_in_a_kept_recording_is_silenced_and_the_event_gives_its_span_without_digits(
    pipelines, fake_settings
):
    stt = FakeSTT([f"my card number is {CARD} thanks", "my card number is thanks"])
    pipeline = pipelines(stt=stt)

    result = await pipeline.run_turn("s-red", audio=speech_wav())

    event = stored(result)
    assert (event.kept, event.outcome, [s.kind for s in event.spans]) == (True, "silenced", ["card"])
    assert len(stt.calls) == 2  # heard, then heard again silenced
    samples = wav_samples(fake_settings.audio_dir / event.file)
    span = event.spans[0]
    hidden = samples[span.start_ms * 16 : span.end_ms * 16]
    assert hidden.size > 0.4 * RATE and not hidden.any()
    # The tone (0.5-1.5 s of the file) is still there before the card's words.
    assert np.abs(samples[int(0.55 * RATE) : span.start_ms * 16]).max() > 0.2
    line = event.model_dump_json(exclude={"wall_time", "mono_time"})  # the stamps are clocks, not the caller's
    assert scan(line) == [] and not any(g in line for g in ("4111", "1111"))
    assert result.events[-1].type == "turn_ended" and pipeline.store.load("s-red").history[-1].audio_file == event.file


async def test_a_recording_whose_silenced_audio_still_gives_digits_of_the_number_is_not_kept(pipelines, fake_settings):
    stt = FakeSTT([f"my card number is {CARD} thanks", "my card number is 1111 1111 thanks"])
    pipeline = pipelines(stt=stt)

    result = await pipeline.run_turn("s-leak", audio=speech_wav())

    event = stored(result)
    assert (event.kept, event.outcome, event.file) == (False, "digits_heard", None)
    assert list(fake_settings.audio_dir.glob("s-leak-*")) == []
    assert pipeline.store.load("s-leak").history[-1].audio_file is None
    assert result.reply  # the turn itself goes on


class UntimedSTT(FakeSTT):
    """Hears its script but never says when a word was said."""

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        heard = super().transcribe(samples, words=words)
        return Transcription(heard.text, heard.confidence)


async def test_a_recording_whose_card_cannot_be_placed_in_time_is_not_kept_and_the_event_says_why(
    pipelines, fake_settings
):
    pipeline = pipelines(stt=UntimedSTT([f"my card number is {CARD}"]))

    result = await pipeline.run_turn("s-unplaced", audio=speech_wav())

    event = stored(result)
    assert (event.kept, event.outcome, event.file, event.spans) == (False, "unlocated", None, [])
    assert list(fake_settings.audio_dir.glob("s-unplaced-*")) == []


async def test_a_recording_without_personal_data_is_kept_as_heard_with_one_hearing(pipelines, fake_settings):
    stt = FakeSTT(["what can you do"])
    pipeline = pipelines(stt=stt)
    clip = np.concatenate([quiet(0.5, RATE), tone(1.0, RATE, amp=0.3), quiet(0.5, RATE)])

    result = await pipeline.run_turn("s-clean", audio=AudioInput(pcm16(clip), RATE))

    event = stored(result)
    assert (event.kept, event.outcome, event.spans) == (True, "clean", [])
    assert len(stt.calls) == 1
    assert np.abs(wav_samples(fake_settings.audio_dir / event.file) - clip).max() < 1e-3


async def test_a_transcript_made_during_the_pause_is_heard_again_with_timings_before_silencing(pipelines):
    stt = FakeSTT([f"my card number is {CARD} thanks", "my card number is thanks"])
    pipeline = pipelines(stt=stt)
    clip = np.concatenate([quiet(0.5, RATE), tone(1.0, RATE, amp=0.3), quiet(0.5, RATE)])
    known = Transcription(f"my card number is {CARD} thanks", 0.9)

    result = await pipeline.run_turn("s-spec", audio=AudioInput(pcm16(clip), RATE, transcript=known))

    assert stored(result).outcome == "silenced" and len(stt.calls) == 2


class FailingCheckSTT(FakeSTT):
    """Hears the caller, then fails when asked to hear the silenced audio."""

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        if self.calls:
            raise BackendError("recogniser gone", stage="stt")
        return super().transcribe(samples, words=words)


async def test_a_check_that_fails_keeps_nothing_and_the_turn_still_answers(pipelines, fake_settings):
    pipeline = pipelines(stt=FailingCheckSTT([f"my card number is {CARD} thanks"]))

    result = await pipeline.run_turn("s-check", audio=speech_wav())

    assert (stored(result).kept, stored(result).outcome) == (False, "check_failed")
    assert list(fake_settings.audio_dir.glob("s-check-*")) == [] and result.reply


async def test_no_recording_event_when_the_voice_is_not_kept(pipelines, fake_settings):
    settings = fake_settings.model_copy(update={"audio_retention": "off"})
    stt = FakeSTT([f"my card number is {CARD}"])
    pipeline = pipelines(settings, stt=stt)

    result = await pipeline.run_turn("s-off", audio=speech_wav())

    assert not any(isinstance(e, RecordingStored) for e in result.events) and len(stt.calls) == 1

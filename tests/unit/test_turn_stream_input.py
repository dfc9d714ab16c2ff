"""Audio as a stream of chunks, and a transcript already made for the audio (the interfaces real-time voice uses)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator

import numpy as np
import pytest

from orchestrator.errors import AudioTooLongError, CorruptAudioError, EmptyAudioError
from orchestrator.events import AudioReceived, ErrorEvent, Transcript
from orchestrator.pipeline import AudioInput, AudioStream, Pipeline
from orchestrator.stt.base import Transcription
from tests.conftest import make_pipeline
from tests.unit.helpers import pcm16, silence, tone, wav_bytes


class RecordingSTT:
    """Hears a fixed line and keeps every buffer it was given."""

    name = "recording"

    def __init__(self, text: str = "what can you do") -> None:
        self.text = text
        self.heard: list[np.ndarray] = []

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        self.heard.append(samples.copy())
        return Transcription(self.text, 0.9)


@pytest.fixture
def stt() -> RecordingSTT:
    return RecordingSTT()


@pytest.fixture
def pipeline(fake_settings, stt) -> Iterator[Pipeline]:
    built = make_pipeline(fake_settings, stt=stt)
    yield built
    built.store.close()


def speech(rate: int) -> np.ndarray:
    return np.concatenate([silence(0.5, rate), tone(1.0, rate, amp=0.3), silence(0.5, rate)])


async def chunks(parts: Iterable[bytes | np.ndarray]) -> AsyncIterator[bytes | np.ndarray]:
    for part in parts:
        yield part


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def outcome(result) -> tuple:
    received = next(e for e in result.events if isinstance(e, AudioReceived))
    heard = next(e for e in result.events if isinstance(e, Transcript))
    return (
        [e.type for e in result.events], result.transcript, result.reply, result.intent, result.slots,
        received.duration_s, received.sample_rate, received.channels, received.speech_s, heard.text,
    )


@pytest.mark.parametrize("rate", [16_000, 24_000])
async def test_a_wav_fed_in_20_ms_chunks_gives_the_same_turn_as_the_whole_file(pipeline, stt, rate):
    samples = speech(rate)
    whole = await pipeline.run_turn("st-whole", audio=wav_bytes(samples, rate))
    step = rate // 50 * 2  # 20 ms of 16-bit mono
    streamed = await pipeline.run_turn("st-chunks", audio=AudioStream(chunks(split(pcm16(samples), step)), rate))

    assert outcome(streamed) == outcome(whole)
    assert len(stt.heard) == 2 and np.array_equal(stt.heard[0], stt.heard[1])


async def test_bytes_split_inside_a_sample_int16_arrays_and_float_arrays_are_the_same_audio(pipeline, stt):
    samples = speech(16_000)
    data = pcm16(samples)
    ints = np.frombuffer(data, dtype="<i2")
    streams = [
        split(data, 333),  # odd sizes: a sample straddles two chunks
        [ints[i : i + 320] for i in range(0, len(ints), 320)],
        [(ints[i : i + 320].astype(np.float32) / 32768.0) for i in range(0, len(ints), 320)],
    ]
    for n, parts in enumerate(streams):
        await pipeline.run_turn(f"st-kind-{n}", audio=AudioStream(chunks(parts), 16_000))

    assert all(np.array_equal(stt.heard[0], other) for other in stt.heard[1:])


async def test_a_stream_past_the_duration_limit_stops_being_read_and_fails_the_audio_stage(fake_settings, stt):
    pipeline = make_pipeline(fake_settings.model_copy(update={"max_audio_seconds": 1.0}), stt=stt)
    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for n in range(1000):
            read.append(n)
            yield pcm16(tone(0.1, 16_000, amp=0.3))

    try:
        with pytest.raises(AudioTooLongError) as info:
            await pipeline.run_turn("st-long", audio=AudioStream(endless(), 16_000))
    finally:
        pipeline.store.close()

    (error,) = [e for e in info.value.turn_events if isinstance(e, ErrorEvent)]
    assert (error.stage, error.category) == ("audio", "audio_too_long")
    assert len(read) == 11 and stt.heard == []  # stopped at the first chunk past one second


async def test_an_empty_stream_is_an_empty_audio_error(pipeline):
    with pytest.raises(EmptyAudioError):
        await pipeline.run_turn("st-empty", audio=AudioStream(chunks([]), 16_000))


@pytest.mark.parametrize("chunk", [np.zeros((160, 2), dtype=np.int16), np.zeros(160, dtype=np.int64)])
async def test_a_stereo_or_integer64_chunk_is_refused_as_corrupt_audio(pipeline, chunk):
    with pytest.raises(CorruptAudioError):
        await pipeline.run_turn("st-bad", audio=AudioStream(chunks([chunk]), 16_000))


async def test_a_transcript_already_made_for_the_audio_is_used_instead_of_transcribing(pipeline, stt):
    known = Transcription("I'd like to borrow 25,000 dollars over 5 years at 6.5 percent", 0.87)
    mic = AudioInput(pcm=pcm16(speech(24_000)), sample_rate=24_000, transcript=known)

    result = await pipeline.run_turn("st-known", audio=mic)

    assert stt.heard == []
    heard = next(e for e in result.events if isinstance(e, Transcript))
    assert (heard.text, heard.confidence, heard.backend) == (known.text, 0.87, "recording")
    assert result.transcript == known.text and result.intent == "loan_quote" and result.state == "confirming"
    assert "audio_received" in [e.type for e in result.events]

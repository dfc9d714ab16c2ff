"""An audio turn through the pipeline on the scripted fakes: decoding, trimming, formats, spoken pieces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orchestrator.audio import TARGET_RATE
from orchestrator.events import (
    AudioReceived,
    TTSChunk,
)
from orchestrator.pipeline import AudioInput
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.chunking import split_for_speech
from tests.unit.helpers import pcm16, silence, tone, wav_bytes
from tests.unit.pipeline_helpers import (
    FIRST_GREETING,
    speech_wav,
    types,
)


async def test_an_audio_turn_emits_the_audio_event_sequence(pipelines):
    pipeline = pipelines(stt=FakeSTT(["hello"]))

    result = await pipeline.run_turn("s-audio", audio=speech_wav())

    pieces = split_for_speech(FIRST_GREETING)
    assert types(result.events) == [
        "turn_started", "audio_received", "transcript", "recording_stored", "dialog_reply",
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

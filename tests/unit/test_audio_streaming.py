"""Streaming audio helpers: chunked resampling and raw PCM16 in and out."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.audio import StreamResampler, pcm16_bytes, pcm16_samples, resample
from orchestrator.errors import CorruptAudioError
from tests.unit.helpers import noise, tone


@pytest.mark.parametrize("chunk", [160, 480, 4096, 4097])
def test_a_stream_resampled_chunk_by_chunk_matches_the_whole_signal_resampled(chunk: int) -> None:
    signal = tone(1.3, rate=24_000) + noise(1.3, rate=24_000, amp=0.05)
    stream = StreamResampler(24_000, 16_000)
    parts = [stream.push(signal[i: i + chunk]) for i in range(0, len(signal), chunk)]
    joined = np.concatenate([*parts, stream.flush()])

    whole = resample(signal, 24_000, 16_000)
    assert len(joined) == len(whole)
    assert np.max(np.abs(joined - whole)) < 1e-6


def test_the_same_rate_passes_through_untouched() -> None:
    signal = tone(0.1)
    stream = StreamResampler(16_000, 16_000)
    assert np.array_equal(stream.push(signal), signal)
    assert stream.flush().size == 0


def test_a_nonsense_rate_is_an_audio_error() -> None:
    with pytest.raises(CorruptAudioError):
        StreamResampler(0, 16_000)


def test_pcm16_round_trips_and_clips_out_of_range_samples() -> None:
    samples = np.array([0.0, 0.5, -0.5, 1.5, -1.5], dtype=np.float32)
    back = pcm16_samples(pcm16_bytes(samples))
    assert np.allclose(back, [0.0, 0.5, -0.5, 1.0, -1.0], atol=1e-4)
    assert pcm16_samples(b"\x01").size == 0  # an odd trailing byte is no sample

"""orchestrator.audio: decoding any file to 16 kHz mono, limits, silence checks, trimming, WAV out."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from orchestrator.audio import (
    TARGET_RATE,
    decode_audio,
    encode_wav,
    ensure_speech,
    pcm16_to_audio,
    peak_dbfs,
    resample,
    trim_silence,
)
from orchestrator.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    InputError,
    SilentAudioError,
)
from tests.unit.helpers import flac_bytes, noise, pcm16, silence, tone, wav_bytes


def dominant_hz(samples: np.ndarray, rate: int = TARGET_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


# -- decoding ---------------------------------------------------------------


@pytest.mark.parametrize("rate", [8_000, 16_000, 44_100, 48_000])
@pytest.mark.parametrize("channels", [1, 2])
def test_a_wav_at_any_common_rate_and_channel_count_decodes_to_16k_mono(rate, channels):
    data = wav_bytes(tone(1.5, rate, freq=440.0), rate, channels)

    decoded = decode_audio(data)

    assert decoded.source_rate == rate
    assert decoded.channels == channels
    assert decoded.samples.ndim == 1
    assert decoded.samples.dtype == np.float32
    assert decoded.duration_s == pytest.approx(1.5, abs=0.02)
    assert len(decoded.samples) == pytest.approx(1.5 * TARGET_RATE, abs=0.02 * TARGET_RATE)
    # Resampling keeps the pitch: the tone is still 440 Hz at 16 kHz.
    assert dominant_hz(decoded.samples) == pytest.approx(440.0, abs=5.0)


@pytest.mark.parametrize(("rate", "channels"), [(44_100, 1), (22_050, 2), (16_000, 1)])
def test_a_flac_file_decodes_like_a_wav(rate, channels):
    decoded = decode_audio(flac_bytes(tone(1.0, rate, freq=300.0), rate, channels))

    assert decoded.source_rate == rate
    assert decoded.channels == channels
    assert decoded.duration_s == pytest.approx(1.0, abs=0.02)
    assert dominant_hz(decoded.samples) == pytest.approx(300.0, abs=5.0)


def test_a_mono_16k_wav_decodes_to_the_same_samples_it_was_written_from():
    original = tone(0.5, TARGET_RATE, amp=0.25)

    decoded = decode_audio(wav_bytes(original, TARGET_RATE))

    assert len(decoded.samples) == len(original)
    np.testing.assert_allclose(decoded.samples, original, atol=1e-3)


def test_decoding_accepts_a_path_as_well_as_bytes(tmp_path: Path):
    path = tmp_path / "caller.wav"
    path.write_bytes(wav_bytes(tone(0.5, 8_000), 8_000))

    from_path = decode_audio(path)
    from_str = decode_audio(str(path))

    assert from_path.duration_s == pytest.approx(0.5, abs=0.02)
    np.testing.assert_array_equal(from_path.samples, from_str.samples)


def test_a_full_scale_stereo_file_decodes_to_samples_within_minus_one_and_one():
    decoded = decode_audio(wav_bytes(tone(0.5, 48_000, amp=0.99), 48_000, channels=2))

    assert float(np.abs(decoded.samples).max()) <= 1.0


# -- decoding failures --------------------------------------------------------


def test_empty_bytes_are_rejected_as_empty_audio():
    with pytest.raises(EmptyAudioError, match="empty"):
        decode_audio(b"")


def test_an_empty_file_on_disk_is_rejected_as_empty_audio(tmp_path: Path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")

    with pytest.raises(EmptyAudioError):
        decode_audio(path)


def test_a_wav_header_with_zero_frames_is_rejected_as_empty_audio():
    data = wav_bytes(np.zeros(0, dtype=np.float32))
    assert len(data) == 44  # a complete header and nothing else

    with pytest.raises(EmptyAudioError):
        decode_audio(data)


def test_a_text_file_renamed_to_wav_is_rejected_as_corrupt(tmp_path: Path):
    path = tmp_path / "notes.wav"
    path.write_text("Meeting notes: call the bank about the loan.\n" * 20, encoding="utf-8")

    with pytest.raises(CorruptAudioError) as info:
        decode_audio(path)
    assert "WAV" in info.value.message


def test_random_garbage_is_rejected_as_corrupt():
    garbage = np.random.default_rng(42).bytes(8_000)

    with pytest.raises(CorruptAudioError):
        decode_audio(garbage)


def test_a_truncated_wav_header_is_rejected_as_corrupt():
    with pytest.raises(CorruptAudioError):
        decode_audio(wav_bytes(tone(1.0))[:30])


def test_a_missing_file_is_reported_as_unreadable_audio(tmp_path: Path):
    with pytest.raises(CorruptAudioError, match="cannot read"):
        decode_audio(tmp_path / "does-not-exist.wav")


def test_a_directory_given_as_the_audio_path_is_rejected_as_an_audio_error(tmp_path: Path):
    with pytest.raises(AudioError):
        decode_audio(tmp_path)


def test_audio_longer_than_max_seconds_is_rejected():
    with pytest.raises(AudioTooLongError, match="limit is 1 s"):
        decode_audio(wav_bytes(tone(3.0)), max_seconds=1)


def test_a_ten_minute_silent_wav_is_rejected_against_the_default_sixty_second_limit():
    ten_minutes = wav_bytes(silence(600.0, 8_000), 8_000)

    with pytest.raises(AudioTooLongError, match="60 s"):
        decode_audio(ten_minutes)


def test_audio_just_under_the_limit_is_accepted():
    decoded = decode_audio(wav_bytes(tone(0.9)), max_seconds=1)

    assert decoded.duration_s == pytest.approx(0.9, abs=0.02)


def test_bytes_over_max_bytes_are_rejected_before_decoding():
    data = wav_bytes(tone(1.0))

    with pytest.raises(AudioTooLongError, match="MB"):
        decode_audio(data, max_bytes=len(data) - 1)


def test_a_file_over_max_bytes_is_rejected_from_its_size(tmp_path: Path):
    path = tmp_path / "big.wav"
    path.write_bytes(wav_bytes(tone(1.0)))

    with pytest.raises(AudioTooLongError):
        decode_audio(path, max_bytes=1_000)


def test_audio_errors_are_input_errors_with_stable_categories():
    assert issubclass(AudioError, InputError)
    assert EmptyAudioError("x").category == "empty_audio"
    assert SilentAudioError("x").category == "silent_audio"
    assert CorruptAudioError("x").category == "corrupt_audio"
    assert AudioTooLongError("x").category == "audio_too_long"
    assert not CorruptAudioError("x").retryable


# -- resampling -----------------------------------------------------------------


@pytest.mark.parametrize("rate", [8_000, 22_050, 24_000, 44_100, 48_000])
def test_resampling_to_16k_keeps_the_duration_and_the_pitch(rate):
    source = tone(2.0, rate, freq=500.0)

    out = resample(source, rate)

    assert out.dtype == np.float32
    assert len(out) / TARGET_RATE == pytest.approx(2.0, abs=0.01)
    assert dominant_hz(out) == pytest.approx(500.0, abs=5.0)


def test_resampling_at_the_target_rate_returns_the_samples_unchanged():
    source = tone(0.2)

    np.testing.assert_array_equal(resample(source, TARGET_RATE), source)


def test_resampling_nothing_gives_nothing():
    assert resample(np.zeros(0, dtype=np.float32), 44_100).size == 0


# -- speech detection -----------------------------------------------------------


def test_digital_silence_is_not_speech():
    with pytest.raises(SilentAudioError, match="dBFS"):
        ensure_speech(silence(1.0), silence_dbfs=-50.0)


def test_very_quiet_noise_is_not_speech():
    quiet = noise(1.0, amp=1e-4)  # about -80 dBFS

    with pytest.raises(SilentAudioError):
        ensure_speech(quiet, silence_dbfs=-50.0)


def test_a_tone_counts_as_speech():
    ensure_speech(tone(1.0, amp=0.3), silence_dbfs=-50.0)  # does not raise


def test_a_short_tone_inside_long_silence_still_counts_as_speech():
    samples = np.concatenate([silence(2.0), tone(0.1, amp=0.3), silence(2.0)])

    ensure_speech(samples, silence_dbfs=-50.0)


def test_peak_level_of_a_half_scale_sine_is_about_minus_nine_dbfs():
    # RMS of a sine with amplitude A is A / sqrt(2): 20*log10(0.5/sqrt(2)) = -9.03 dBFS.
    assert peak_dbfs(tone(1.0, amp=0.5)) == pytest.approx(-9.03, abs=0.1)


def test_peak_level_of_nothing_is_far_below_any_threshold():
    assert peak_dbfs(np.zeros(0, dtype=np.float32)) <= -100.0
    assert peak_dbfs(silence(0.5)) <= -100.0


# -- trimming -------------------------------------------------------------------


def test_trim_silence_removes_leading_and_trailing_silence_but_keeps_the_tone():
    speech = tone(1.0, amp=0.3)
    samples = np.concatenate([silence(2.0), speech, silence(3.0)])

    trimmed = trim_silence(samples)

    # At most the 0.15 s pad plus one 20 ms frame on each side is kept.
    assert len(speech) <= len(trimmed) <= len(speech) + 2 * int(0.17 * TARGET_RATE)
    assert peak_dbfs(trimmed) == pytest.approx(peak_dbfs(speech), abs=0.5)
    # The whole tone survived: its energy is all there.
    assert float(np.sum(trimmed.astype(np.float64) ** 2)) == pytest.approx(
        float(np.sum(speech.astype(np.float64) ** 2)), rel=0.01
    )


def test_trim_silence_keeps_a_quiet_recording_relative_to_its_own_peak():
    quiet_speech = tone(0.5, amp=0.01)  # about -43 dBFS
    samples = np.concatenate([noise(1.0, amp=1e-5), quiet_speech, noise(1.0, amp=1e-5, seed=1)])

    trimmed = trim_silence(samples)

    assert len(quiet_speech) <= len(trimmed) < len(samples) - TARGET_RATE


def test_trim_silence_leaves_audio_without_silence_alone():
    samples = tone(1.0, amp=0.3)

    assert len(trim_silence(samples)) == len(samples)


def test_trim_silence_of_nothing_is_nothing():
    assert trim_silence(np.zeros(0, dtype=np.float32)).size == 0


# -- microphone pcm16 -----------------------------------------------------------


def test_pcm16_at_24k_becomes_16k_float_audio_of_the_same_length():
    pcm = pcm16(tone(1.0, 24_000, freq=440.0, amp=0.3))

    decoded = pcm16_to_audio(pcm, 24_000)

    assert decoded.source_rate == 24_000
    assert decoded.channels == 1
    assert decoded.samples.dtype == np.float32
    assert decoded.duration_s == pytest.approx(1.0, abs=0.01)
    assert dominant_hz(decoded.samples) == pytest.approx(440.0, abs=5.0)
    assert float(np.abs(decoded.samples).max()) == pytest.approx(0.3, abs=0.02)


def test_pcm16_with_an_odd_byte_count_drops_the_dangling_byte():
    pcm = pcm16(tone(1.0, 16_000, amp=0.3))

    whole = pcm16_to_audio(pcm, 16_000)
    odd = pcm16_to_audio(pcm + b"\x7f", 16_000)

    np.testing.assert_array_equal(whole.samples, odd.samples)


def test_pcm16_values_are_scaled_to_minus_one_and_one():
    pcm = np.array([0, 16384, -16384, 32767, -32768], dtype="<i2").tobytes()

    decoded = pcm16_to_audio(pcm, TARGET_RATE)

    np.testing.assert_allclose(decoded.samples, [0.0, 0.5, -0.5, 32767 / 32768, -1.0])


@pytest.mark.parametrize("pcm", [b"", b"\x01"])
def test_pcm16_with_less_than_one_sample_is_empty_audio(pcm):
    with pytest.raises(EmptyAudioError):
        pcm16_to_audio(pcm, 24_000)


def test_pcm16_too_short_to_yield_any_16k_sample_is_empty_audio():
    with pytest.raises(EmptyAudioError):
        pcm16_to_audio(b"\x10\x00" * 10, 24_000)


def test_pcm16_with_a_non_positive_sample_rate_is_corrupt():
    with pytest.raises(CorruptAudioError):
        pcm16_to_audio(b"\x00\x00" * 100, 0)


def test_pcm16_over_the_duration_limit_is_rejected():
    with pytest.raises(AudioTooLongError):
        pcm16_to_audio(pcm16(silence(3.0, 24_000)), 24_000, max_seconds=2)


# -- encoding -------------------------------------------------------------------


def test_encode_wav_round_trips_through_the_wave_module_and_the_decoder():
    original = tone(0.75, 22_050, amp=0.4)

    data = encode_wav(original, 22_050)

    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == 22_050
        assert wav.getnframes() == len(original)
        ints = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    np.testing.assert_allclose(ints / 32767.0, original, atol=1 / 32767.0 + 1e-6)
    assert decode_audio(data).duration_s == pytest.approx(0.75, abs=0.01)


def test_encode_wav_writes_int16_samples_as_they_are():
    ints = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)

    with wave.open(io.BytesIO(encode_wav(ints, 8_000)), "rb") as wav:
        assert np.frombuffer(wav.readframes(5), dtype="<i2").tolist() == ints.tolist()


def test_encode_wav_clips_out_of_range_floats_instead_of_wrapping():
    with wave.open(io.BytesIO(encode_wav(np.array([2.0, -2.0], dtype=np.float32), 8_000)), "rb") as wav:
        assert np.frombuffer(wav.readframes(2), dtype="<i2").tolist() == [32767, -32767]

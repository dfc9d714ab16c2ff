"""Generated audio for unit tests: tones, silence and noise as WAV/FLAC bytes or raw PCM."""

from __future__ import annotations

import io
import wave

import av
import numpy as np

__all__ = ["flac_bytes", "noise", "pcm16", "silence", "tone", "wav_bytes"]


def tone(seconds: float, rate: int = 16_000, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    """A float32 sine wave."""
    t = np.arange(round(seconds * rate), dtype=np.float64) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, rate: int = 16_000) -> np.ndarray:
    """Digital silence (all zeros)."""
    return np.zeros(round(seconds * rate), dtype=np.float32)


def noise(seconds: float, rate: int = 16_000, amp: float = 1e-4, seed: int = 0) -> np.ndarray:
    """Gaussian noise with standard deviation ``amp``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * rate)) * amp).astype(np.float32)


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(samples: np.ndarray, rate: int = 16_000, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV written with Python's ``wave`` module (channels are copies of ``samples``)."""
    ints = _to_int16(samples)
    if channels > 1:
        ints = np.repeat(ints[:, None], channels, axis=1).reshape(-1)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(ints.tobytes())
    return buf.getvalue()


def flac_bytes(samples: np.ndarray, rate: int = 16_000, channels: int = 1) -> bytes:
    """A FLAC file encoded through PyAV (channels are copies of ``samples``)."""
    layout = "mono" if channels == 1 else "stereo"
    ints = _to_int16(samples)
    packed = np.repeat(ints[:, None], channels, axis=1).reshape(1, -1)  # interleaved s16
    out = io.BytesIO()
    container = av.open(out, mode="w", format="flac")
    stream = container.add_stream("flac", rate=rate, layout=layout)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(packed), format="s16", layout=layout)
    frame.sample_rate = rate
    for packet in stream.encode(frame):
        container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return out.getvalue()


def pcm16(samples: np.ndarray) -> bytes:
    """Raw little-endian mono int16, the browser microphone's format."""
    return _to_int16(samples).tobytes()

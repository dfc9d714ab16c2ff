"""Audio in and out: decode any file to 16 kHz mono, trim silence, encode WAV.

Decoding goes through PyAV (FFmpeg's libraries inside the wheel), so WAV,
FLAC and the rest decode at any rate and channel count without a system
ffmpeg. Every failure becomes an ``AudioError`` subclass with a message a
tester can act on.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from orchestrator.errors import (
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    SilentAudioError,
)

__all__ = [
    "TARGET_RATE",
    "DecodedAudio",
    "StreamResampler",
    "decode_audio",
    "encode_wav",
    "ensure_speech",
    "pcm16_bytes",
    "pcm16_samples",
    "pcm16_to_audio",
    "peak_dbfs",
    "resample",
    "samples_to_audio",
    "speech_bounds",
    "trim_silence",
]

TARGET_RATE = 16_000
_FRAME_S = 0.02
# Keep this much audio around the detected speech so word edges survive.
_PAD_S = 0.15


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """Mono float32 samples in [-1, 1] at ``TARGET_RATE``, plus the source format."""

    samples: np.ndarray
    source_rate: int
    channels: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / TARGET_RATE


def _resampler() -> av.AudioResampler:
    # Planar float at the target rate, keeping the source channels: the downmix is
    # a plain average done below, because FFmpeg's mono downmix adds channels at
    # -3 dB each and can push a full-scale stereo file past 1.0.
    return av.AudioResampler(format="fltp", rate=TARGET_RATE)


def _frames_to_array(frames: list[av.AudioFrame]) -> np.ndarray:
    """Concatenate frames and average their channels into mono float32."""
    parts = [f.to_ndarray() for f in frames if f.samples]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    joined = np.concatenate([p.reshape(p.shape[0], -1) if p.ndim == 2 else p.reshape(1, -1) for p in parts], axis=1)
    return joined.mean(axis=0).astype(np.float32, copy=False)


def decode_audio(
    source: bytes | Path | str,
    *,
    max_seconds: float = 60.0,
    max_bytes: int = 50 * 1024 * 1024,
) -> DecodedAudio:
    """Decode a file or its bytes to 16 kHz mono float32.

    Raises ``EmptyAudioError``, ``CorruptAudioError`` or ``AudioTooLongError``.
    Decoding stops as soon as the duration limit is crossed, so a huge file
    costs no more than the limit.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if path.exists() and not path.is_file():
            raise CorruptAudioError(f"cannot read audio file {path}: it is not a regular file")
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise AudioTooLongError(
                    f"audio file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise CorruptAudioError(f"cannot read audio file {path}: {exc.strerror}") from exc
    else:
        data = bytes(source)
    if not data:
        raise EmptyAudioError("the audio is empty (0 bytes)")
    if len(data) > max_bytes:
        raise AudioTooLongError(
            f"audio is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"
        )
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except av.FFmpegError as exc:
        raise CorruptAudioError(
            "the file is not audio that can be decoded (expected WAV, FLAC, OGG or MP3)"
        ) from exc
    try:
        streams = container.streams.audio
        if not streams:
            raise CorruptAudioError("the file has no audio stream")
        stream = streams[0]
        source_rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        channels = int(stream.codec_context.channels or 0)
        if source_rate <= 0:
            raise CorruptAudioError("the audio stream has no sample rate")
        declared = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else 0.0
        if declared > max_seconds:
            raise AudioTooLongError(
                f"audio is {declared:.0f} s long; the limit is {max_seconds:.0f} s"
            )
        resampler = _resampler()
        frames: list[av.AudioFrame] = []
        seen = 0
        for frame in container.decode(stream):
            seen += frame.samples
            if seen > max_seconds * source_rate:
                raise AudioTooLongError(
                    f"audio is longer than the {max_seconds:.0f} s limit"
                )
            frames.extend(resampler.resample(frame))
        frames.extend(resampler.resample(None))
    except av.FFmpegError as exc:
        raise CorruptAudioError(f"the audio could not be decoded: {exc}") from exc
    finally:
        container.close()
    samples = _frames_to_array(frames)
    if samples.size == 0:
        raise EmptyAudioError("the audio contains no samples")
    return DecodedAudio(samples=samples, source_rate=source_rate, channels=channels)


class StreamResampler:
    """Resample a mono float32 stream chunk by chunk, keeping the filter's state between chunks.

    The chunks joined come out the same as resampling the whole signal at once; the
    last few samples are held back until ``flush``.
    """

    def __init__(self, rate: int, target: int = TARGET_RATE) -> None:
        if rate <= 0 or target <= 0:
            raise CorruptAudioError(f"invalid sample rate {rate} -> {target}")
        self.rate = rate
        self.target = target
        self._resampler = None if rate == target else av.AudioResampler(format="fltp", layout="mono", rate=target)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Resample one chunk; returns what is ready of it."""
        if self._resampler is None or samples.size == 0:
            return samples.astype(np.float32, copy=False)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = self.rate
        return _frames_to_array(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        """The samples still held back (call once, at the end of the stream)."""
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        return _frames_to_array(self._resampler.resample(None))


def resample(samples: np.ndarray, rate: int, target: int = TARGET_RATE) -> np.ndarray:
    """Resample mono float32 samples from ``rate`` to ``target`` Hz."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    stream = StreamResampler(rate, target)
    return np.concatenate([stream.push(samples), stream.flush()])


def pcm16_samples(pcm: bytes) -> np.ndarray:
    """Float32 samples in [-1, 1) from raw little-endian mono int16 (a trailing odd byte is ignored)."""
    usable = len(pcm) - len(pcm) % 2
    return np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0


def pcm16_to_audio(pcm: bytes, sample_rate: int, *, max_seconds: float = 60.0) -> DecodedAudio:
    """Raw little-endian mono int16 (the browser microphone's format) to 16 kHz float32."""
    if sample_rate <= 0:
        raise CorruptAudioError(f"invalid sample rate {sample_rate}")
    if len(pcm) < 2:
        raise EmptyAudioError("no audio was recorded")
    return samples_to_audio(pcm16_samples(pcm), sample_rate, max_seconds=max_seconds)


def samples_to_audio(samples: np.ndarray, sample_rate: int, *, max_seconds: float = 60.0) -> DecodedAudio:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` to 16 kHz float32."""
    if sample_rate <= 0:
        raise CorruptAudioError(f"invalid sample rate {sample_rate}")
    if samples.size == 0:
        raise EmptyAudioError("no audio was recorded")
    if samples.size > max_seconds * sample_rate:
        raise AudioTooLongError(
            f"recording is {samples.size / sample_rate:.0f} s long; the limit is {max_seconds:.0f} s"
        )
    resampled = resample(samples, sample_rate)
    if resampled.size == 0:
        raise EmptyAudioError("the recording is too short to contain any speech")
    return DecodedAudio(samples=resampled, source_rate=sample_rate, channels=1)


def _frame_db(samples: np.ndarray, rate: int) -> np.ndarray:
    n = max(1, int(rate * _FRAME_S))
    usable = len(samples) - len(samples) % n
    if usable == 0:
        rms = np.array([np.sqrt(np.mean(np.square(samples, dtype=np.float64)))]) if samples.size else np.zeros(1)
    else:
        frames = samples[:usable].reshape(-1, n).astype(np.float64)
        rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-10))


def peak_dbfs(samples: np.ndarray, rate: int = TARGET_RATE) -> float:
    """Level of the loudest 20 ms frame, in dB relative to full scale."""
    if samples.size == 0:
        return -200.0
    return float(_frame_db(samples, rate).max())


def ensure_speech(samples: np.ndarray, silence_dbfs: float, rate: int = TARGET_RATE) -> None:
    """Raise ``SilentAudioError`` when no frame rises above ``silence_dbfs``."""
    level = peak_dbfs(samples, rate)
    if level < silence_dbfs:
        raise SilentAudioError(
            f"no speech heard: the loudest part is {level:.0f} dBFS, below the "
            f"{silence_dbfs:.0f} dBFS silence threshold (check the microphone)"
        )


def trim_silence(
    samples: np.ndarray, rate: int = TARGET_RATE, floor_dbfs: float = -50.0, range_db: float = 40.0
) -> np.ndarray:
    """Cut leading and trailing silence, keeping a short pad around the speech.

    A frame counts as speech when it is above ``floor_dbfs`` and within
    ``range_db`` of the loudest frame, so quiet recordings still trim.
    """
    start, end = speech_bounds(samples, rate, floor_dbfs, range_db)
    return samples[start:end]


def speech_bounds(
    samples: np.ndarray, rate: int = TARGET_RATE, floor_dbfs: float = -50.0, range_db: float = 40.0
) -> tuple[int, int]:
    """The sample range ``trim_silence`` keeps: ``(start, end)``, the whole clip when nothing stands out."""
    if samples.size == 0:
        return 0, 0
    db = _frame_db(samples, rate)
    threshold = max(floor_dbfs, float(db.max()) - range_db)
    voiced = np.flatnonzero(db >= threshold)
    if voiced.size == 0:
        return 0, len(samples)
    n = max(1, int(rate * _FRAME_S))
    pad = int(rate * _PAD_S)
    return max(0, int(voiced[0]) * n - pad), min(len(samples), (int(voiced[-1]) + 1) * n + pad)


def pcm16_bytes(samples: np.ndarray) -> bytes:
    """Raw little-endian mono int16 from float32 in [-1, 1] (clipped) or int16 samples."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
    return samples.astype("<i2").tobytes()


def encode_wav(samples: np.ndarray, rate: int) -> bytes:
    """Mono WAV bytes (16-bit PCM) from float32 in [-1, 1] or int16 samples."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm16_bytes(samples))
    return buf.getvalue()

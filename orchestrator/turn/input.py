"""The caller's input: typed text is redacted and cut; audio is decoded, checked against the limits and trimmed.

Audio comes as a file (bytes or a path), a whole microphone buffer
(``AudioInput``) or a stream of chunks (``AudioStream``); a stream is read
until it ends, and the turn's clock starts again at its last chunk, when
the caller stopped talking.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator.compliance import redact_message
from orchestrator.config import Settings
from orchestrator.errors import AudioTooLongError, CorruptAudioError, EmptyTextError
from orchestrator.events import AudioReceived
from orchestrator.stt.base import Transcription
from orchestrator.turn.context import TurnContext, ms_since
from orchestrator.turn.recording import may_keep

__all__ = ["AudioInput", "AudioSource", "AudioStream", "CallerAudio", "read_text", "receive"]


@dataclass(frozen=True, slots=True)
class AudioInput:
    """Raw mono int16 PCM (the browser microphone's format) at ``sample_rate``.

    ``transcript``: what the recogniser already heard in exactly this audio (speculative STT
    during the caller's pause); the STT stage then uses it instead of transcribing again.
    """

    pcm: bytes
    sample_rate: int
    transcript: Transcription | None = None


@dataclass(frozen=True, slots=True)
class AudioStream:
    """The caller's audio as it arrives: mono chunks at ``sample_rate``.

    A chunk is little-endian int16 PCM bytes (a sample may straddle two chunks), or a
    1-D array of int16 samples or of float samples in [-1, 1].
    """

    chunks: AsyncIterable[bytes | np.ndarray]
    sample_rate: int


AudioSource = bytes | Path | AudioInput | AudioStream


@dataclass(frozen=True, slots=True)
class CallerAudio:
    """The caller's speech, 16 kHz mono float32 with the silence around it trimmed.

    ``recording``: the whole decoded audio when policy keeps this caller's voice (None: it is not kept);
    the speech starts ``offset`` samples into it.
    """

    speech: np.ndarray
    transcript: Transcription | None = None
    recording: np.ndarray | None = None
    offset: int = 0


async def read_text(ctx: TurnContext, text: str, settings: Settings) -> str:
    """The typed words, redacted, then cut to the length limit; ``EmptyTextError`` when nothing is left.

    A message over the hard limit is refused ("message too long") before any work; a long one is
    redacted off the event loop, and redaction comes before the cut, so a cut never splits a card number.
    """
    ctx.stage = "input"
    user_text = await redact_message(text, settings.max_text_chars)
    if not user_text:
        raise EmptyTextError("the message is empty: type or say something")
    ctx.user_text = user_text
    return user_text


async def receive(ctx: TurnContext, audio: AudioSource, settings: Settings) -> CallerAudio:
    """Decode, check and trim the caller's audio, emit ``audio_received``; hand on the whole audio if it may be kept."""
    ctx.stage = "audio"
    known = audio.transcript if isinstance(audio, AudioInput) else None
    limit_s = settings.max_audio_seconds
    decode: Callable[[], audio_mod.DecodedAudio]
    if isinstance(audio, AudioStream):
        decode = functools.partial(
            audio_mod.samples_to_audio, await _collect(audio, limit_s), audio.sample_rate, max_seconds=limit_s
        )
        ctx.started = time.perf_counter()
    elif isinstance(audio, AudioInput):
        decode = functools.partial(audio_mod.pcm16_to_audio, audio.pcm, audio.sample_rate, max_seconds=limit_s)
    else:
        limit_bytes = settings.max_audio_bytes
        decode = functools.partial(audio_mod.decode_audio, audio, max_seconds=limit_s, max_bytes=limit_bytes)
    start = time.perf_counter()

    def work() -> tuple[audio_mod.DecodedAudio, tuple[int, int]]:
        decoded = decode()
        audio_mod.ensure_speech(decoded.samples, settings.silence_dbfs)
        return decoded, audio_mod.speech_bounds(decoded.samples, floor_dbfs=settings.silence_dbfs)

    decoded, (first, last) = await asyncio.to_thread(work)
    speech = decoded.samples[first:last]
    ctx.timings["audio"] = ms_since(start)
    ctx.emit(AudioReceived(
        duration_s=round(decoded.duration_s, 3),
        sample_rate=decoded.source_rate,
        channels=decoded.channels,
        speech_s=round(len(speech) / audio_mod.TARGET_RATE, 3),
        ms=ctx.timings["audio"],
    ))
    # Kept only after speech-to-text has said where any personal data is (``turn.recording``).
    kept = decoded.samples if may_keep(settings, ctx.state) else None
    return CallerAudio(speech, known, kept, first)


async def _collect(stream: AudioStream, max_seconds: float) -> np.ndarray:
    """Every chunk of the stream as float32 samples, stopping as soon as it passes the duration limit."""
    limit = max_seconds * max(stream.sample_rate, 1)
    parts: list[np.ndarray] = []
    count = 0
    odd = b""  # the first byte of a sample whose second byte is in the next chunk
    async for chunk in stream.chunks:
        if isinstance(chunk, bytes | bytearray | memoryview):
            data = odd + bytes(chunk)
            odd = data[len(data) - len(data) % 2:]
            samples = np.frombuffer(data[: len(data) - len(odd)], dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = _array_samples(chunk)
        parts.append(samples)
        count += samples.size
        if count > limit:
            raise AudioTooLongError(f"the recording passed the {max_seconds:.0f} s limit")
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _array_samples(chunk: np.ndarray) -> np.ndarray:
    if chunk.ndim != 1:
        raise CorruptAudioError(f"an audio chunk must be mono (1-D), not of shape {chunk.shape}")
    if chunk.dtype == np.int16:
        return chunk.astype(np.float32) / 32768.0
    if np.issubdtype(chunk.dtype, np.floating):
        return chunk.astype(np.float32, copy=False)
    raise CorruptAudioError(f"an audio chunk must hold int16 or float samples, not {chunk.dtype}")

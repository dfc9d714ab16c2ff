"""Reply audio kept for cached answers: the same text from the same voice is never synthesized twice.

Files are ``.npy`` (float32 samples, ``allow_pickle=False``) named by the
SHA-256 of voice, sample rate and text, under ``VOICEBOT_HOME/cache/audio``;
no name ever comes from input. Written atomically; the oldest files go once
there are more than ``max_files``.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from orchestrator.fsutil import atomic_write_bytes

__all__ = ["ReplyAudioStore"]


class ReplyAudioStore:
    """Synthesized replies on disk, keyed by (voice, rate, text)."""

    def __init__(self, directory: Path, *, max_files: int = 2000) -> None:
        self.directory = directory
        self.max_files = max_files

    def _path(self, voice: str, rate: int, text: str) -> Path:
        digest = hashlib.sha256(f"{voice}\x00{rate}\x00{text}".encode()).hexdigest()
        return self.directory / f"{digest}.npy"

    def get(self, voice: str, rate: int, text: str) -> np.ndarray | None:
        """The samples, or None when not kept (or unreadable)."""
        path = self._path(voice, rate, text)
        try:
            samples = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return samples.astype(np.float32, copy=False) if samples.ndim == 1 else None

    def put(self, voice: str, rate: int, text: str, samples: np.ndarray) -> None:
        """Keep the samples of ``text``."""
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(samples, dtype=np.float32), allow_pickle=False)
        atomic_write_bytes(self._path(voice, rate, text), buffer.getvalue())
        self._prune()

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.npy"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.max_files)]:
            old.unlink(missing_ok=True)

    def clear(self) -> int:
        """Delete every kept reply; how many there were."""
        files = list(self.directory.glob("*.npy")) if self.directory.is_dir() else []
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)

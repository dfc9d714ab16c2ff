"""The caller's 16 kHz stream as received, addressable by absolute sample index."""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["Tape"]


class Tape:
    """The 16 kHz stream as received, addressable by absolute sample index."""

    def __init__(self) -> None:
        self._chunks: deque[tuple[int, np.ndarray]] = deque()
        self.end = 0

    def append(self, samples: np.ndarray) -> None:
        """Add the next samples of the stream."""
        if samples.size:
            self._chunks.append((self.end, samples))
            self.end += len(samples)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start``..``stop`` (what is still kept of them)."""
        parts = [c[max(0, start - s): max(0, stop - s)] for s, c in self._chunks if s < stop and s + len(c) > start]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def forget_before(self, index: int) -> None:
        """Drop the chunks that end before ``index``."""
        while self._chunks and self._chunks[0][0] + len(self._chunks[0][1]) < index:
            self._chunks.popleft()

"""The intent head: a multinomial logistic regression, fitted by scikit-learn once and kept on disk.

Embedding the ~370 examples, importing scikit-learn (scipy comes with it) and
fitting cost several seconds of every start. The fit is deterministic, so its
result is a function of the encoder, the examples, their labels, ``C`` and
scikit-learn's version: that tuple's SHA-256 names a ``.npz`` under
``VOICEBOT_HOME/models``. Any change to one of them is a new name, so a stale head
is never read. The file holds arrays only (read with ``allow_pickle=False``); a
missing, torn or foreign file is refitted. Scoring is the regression's own
formula, a softmax over ``x @ coef.T + intercept``, so it needs no scikit-learn.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from orchestrator.fsutil import atomic_write_bytes

__all__ = ["LinearHead", "fit_head", "head_key", "load_head", "save_head"]


@dataclass(frozen=True)
class LinearHead:
    """A fitted multinomial logistic regression: one row of ``coef`` per class."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Each class's probability for each row of ``vectors`` (rows sum to 1)."""
        logits = np.asarray(vectors, dtype=np.float64) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)


def fit_head(matrix: np.ndarray, labels: Sequence[str], c: float) -> LinearHead:
    """Fit the regression with scikit-learn (lbfgs, multinomial) on unit-length rows."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model = LogisticRegression(C=c, max_iter=3000).fit(matrix, list(labels))
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(model.classes_) == 2:  # one row, for the second class: a sigmoid is a softmax over (-z/2, z/2)
        coef, intercept = np.concatenate([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    return LinearHead(coef, intercept, tuple(str(k) for k in model.classes_))


def head_key(encoder: str, texts: Sequence[str], labels: Sequence[str], c: float) -> str:
    """The cache key of a head fitted on ``encoder``'s vectors of these examples with this ``C``."""
    blob = json.dumps([encoder, version("scikit-learn"), c, list(texts), list(labels)], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _path(directory: Path, key: str) -> Path:
    return directory / f"intent-head-{key[:24]}.npz"


def save_head(directory: Path, key: str, head: LinearHead) -> Path:
    """Write ``head`` atomically; returns the file."""
    buffer = io.BytesIO()
    np.savez(buffer, key=np.array(key), coef=head.coef, intercept=head.intercept, classes=np.array(head.classes))
    return atomic_write_bytes(_path(directory, key), buffer.getvalue())


def load_head(directory: Path, key: str) -> LinearHead | None:
    """The head saved under ``key``; None when there is none to trust."""
    try:
        with np.load(_path(directory, key), allow_pickle=False) as saved:
            if str(saved["key"]) != key:
                return None
            coef, intercept, classes = saved["coef"], saved["intercept"], saved["classes"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, torn, or not ours
        return None
    if coef.ndim != 2 or classes.dtype.kind != "U" or not coef.shape[0] == len(classes) == len(intercept):
        return None
    return LinearHead(coef.astype(np.float64), intercept.astype(np.float64), tuple(str(k) for k in classes))

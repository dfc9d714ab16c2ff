"""The intent head's fitted weights, kept on disk so a start-up neither embeds the examples nor fits again.

Embedding the ~370 examples and fitting the logistic regression cost several
seconds of every start. The fit is deterministic, so its result is a function of
the encoder, the examples, their labels, ``C`` and scikit-learn's version: that
tuple's SHA-256 names a ``.npz`` under ``VOICEBOT_HOME/models``. Any change to one
of them is a new name, so a stale head is never read. The file holds arrays only
(read with ``allow_pickle=False``); a missing, torn or foreign file is refitted.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.fsutil import atomic_write_bytes

__all__ = ["head_key", "load_head", "save_head"]

_FIELDS = ("coef_", "intercept_", "classes_", "n_iter_")


def head_key(encoder: str, texts: Sequence[str], labels: Sequence[str], c: float) -> str:
    """The cache key of a head fitted by ``encoder`` on these examples with this ``C``."""
    import sklearn  # type: ignore[import-untyped]

    blob = json.dumps([encoder, sklearn.__version__, c, list(texts), list(labels)], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _path(directory: Path, key: str) -> Path:
    return directory / f"intent-head-{key[:24]}.npz"


def save_head(directory: Path, key: str, head: Any) -> Path:
    """Write ``head``'s fitted arrays atomically; returns the file."""
    buffer = io.BytesIO()
    np.savez(buffer, key=np.array(key), **{name: np.asarray(getattr(head, name)) for name in _FIELDS})
    return atomic_write_bytes(_path(directory, key), buffer.getvalue())


def load_head(directory: Path, key: str, head: Any) -> bool:
    """Give the unfitted ``head`` the weights saved under ``key``; False when there are none to trust."""
    path = _path(directory, key)
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != key:
                return False
            arrays = {name: saved[name] for name in _FIELDS}
    except (OSError, ValueError, KeyError):  # missing, torn, or not ours
        return False
    classes = arrays["classes_"]
    if arrays["coef_"].ndim != 2 or arrays["coef_"].shape[0] != len(classes) or classes.dtype.kind != "U":
        return False
    for name, value in arrays.items():
        setattr(head, name, value)
    head.n_features_in_ = arrays["coef_"].shape[1]
    return True

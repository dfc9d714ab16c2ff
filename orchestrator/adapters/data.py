"""Labelled CSV files for adapters: training data (our intents) and evaluation data.

A training file has the columns ``text,label`` and every label is one of the
dialog's intents (:data:`~orchestrator.nlu.intent_examples.INTENTS`). An
evaluation file is either the same, or, with ``mapped=True``, a file whose
labels are BANKING77 / NLU++ labels, scored with ``voicebot eval-intents``'s
mapping (:mod:`orchestrator.nlu.intent_eval`).

The project's own files live in ``orchestrator/adapters/data/``: the
training file (``banking_train.csv``: the classifier's examples plus more
utterances written for it) and a small held-out file (``banking_dev.csv``)
written separately. The ``realdata`` evaluation set is never trained on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.adapters.errors import TrainingDataError
from orchestrator.nlu.intent_eval import LABEL_MAP, EvalDataError, accepted_intents, read_labelled_csv
from orchestrator.nlu.intent_examples import INTENTS

__all__ = [
    "DATA_DIR",
    "DEV_CSV",
    "MAX_ROWS",
    "TRAIN_CSV",
    "EvalRow",
    "LabelledText",
    "file_sha256",
    "read_eval_rows",
    "read_training_csv",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_CSV = DATA_DIR / "banking_train.csv"
DEV_CSV = DATA_DIR / "banking_dev.csv"
MAX_ROWS = 50_000
MAX_TEXT_CHARS = 1_000


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One training row: an utterance and its intent."""

    text: str
    label: str


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One evaluation row: the intents that are a right answer (the expected one first)."""

    text: str
    accepted: tuple[str, ...]
    # False for a dataset label our bot does not serve (the right answer is out_of_scope).
    served: bool = True


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes (the data hash kept with an adapter)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows(path: Path) -> list[tuple[int, str, str]]:
    """(line, text, label) for every row; raises ``TrainingDataError`` naming the file and the fault."""
    rows = read_labelled_csv(path, error=TrainingDataError, max_rows=MAX_ROWS, max_text_chars=MAX_TEXT_CHARS)
    return [(row.line, row.text, row.label) for row in rows]


def _check_labels(path: Path, rows: Sequence[tuple[int, str, str]], known: Sequence[str]) -> None:
    unknown = sorted({label for _, _, label in rows if label not in known})
    if unknown:
        first = next(line for line, _, label in rows if label == unknown[0])
        raise TrainingDataError(
            f"{path}:{first}: unknown label(s) {', '.join(map(repr, unknown[:10]))}; "
            f"the labels must be the dialog's intents: {', '.join(known)}"
        )


def read_training_csv(path: Path, labels: Sequence[str] = INTENTS) -> list[LabelledText]:
    """The rows of a training CSV (``text,label``, labels among ``labels``).

    Raises ``TrainingDataError`` for a missing or unreadable file, missing
    columns, empty cells, unknown labels, one text given two labels, or
    fewer than two distinct labels.
    """
    rows = _rows(path)
    _check_labels(path, rows, labels)
    seen: dict[str, tuple[int, str]] = {}
    for line, text, label in rows:
        key = " ".join(text.lower().split())
        if key in seen and seen[key][1] != label:
            raise TrainingDataError(
                f"{path}:{line}: {text!r} is labelled {label!r} here and {seen[key][1]!r} on line {seen[key][0]}"
            )
        seen.setdefault(key, (line, label))
    if len(Counter(label for _, _, label in rows)) < 2:
        raise TrainingDataError(f"{path}: the rows must cover at least two intents")
    return [LabelledText(text, label) for _, text, label in rows]


def read_eval_rows(path: Path, *, mapped: bool = False, labels: Sequence[str] = INTENTS) -> list[EvalRow]:
    """The rows of an evaluation CSV.

    With ``mapped`` the labels are dataset labels (BANKING77 / NLU++), each
    scored by ``voicebot eval-intents``'s mapping; otherwise every label must
    be one of ``labels``. Raises ``TrainingDataError`` naming the file and fault.
    """
    if not mapped:
        rows = _rows(path)
        try:
            _check_labels(path, rows, labels)
        except TrainingDataError as exc:
            raise TrainingDataError(f"{exc.message}; for BANKING77 / NLU++ labels use --mapped") from None
        return [EvalRow(text, (label,)) for _, text, label in rows]
    try:
        utterances = read_labelled_csv(path)
    except EvalDataError as exc:
        raise TrainingDataError(str(exc)) from None
    return [EvalRow(u.text, accepted_intents(u), u.label in LABEL_MAP) for u in utterances]

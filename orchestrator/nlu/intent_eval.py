"""Measure an intent classifier on a labelled CSV; nothing is ever trained on it.

The file needs ``text`` and ``label`` columns; an optional ``all_labels``
column (``|``-separated, as in NLU++) adds secondary labels. It was written
for ``realdata/intents/banking_intents_sample.csv`` (BANKING77 and NLU++
banking labels), which is evaluation data only.

How its labels are scored (``LABEL_MAP``):

* *mapped* labels have a counterpart among our intents ("loan" ->
  ``loan_quote``, "lost_or_stolen_card" -> ``lost_card``, every transfer
  question -> ``transfer``, ...); a label about two of ours
  ("balance_not_updated_after_bank_transfer") accepts either;
* every other label is *unserved* (card delivery, a card that does not work,
  a declined payment): our bot has no such intent, so the right answer is
  ``out_of_scope``. Taking such a caller for a lost card would block a card
  that works.
* a row whose ``all_labels`` include "handoff" (the caller asks for a
  person) also accepts ``human_handoff``.

Two accuracies are reported: over every row (unserved rows expect
``out_of_scope``), and over the mapped rows only (unserved rows excluded).
Per-intent precision and recall count a row's expected intent as the
prediction when the prediction is one of its accepted answers, else as the
first accepted answer.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.nlu.intents import OUT_OF_SCOPE, IntentClassifier

__all__ = [
    "LABEL_MAP",
    "MAX_ROWS",
    "SECONDARY_LABEL_MAP",
    "EvalDataError",
    "EvalReport",
    "LabelledUtterance",
    "accepted_intents",
    "evaluate",
    "read_labelled_csv",
]

# Dataset label -> the intents that are a correct answer to it (the first is the expected one).
LABEL_MAP: dict[str, tuple[str, ...]] = {
    "loan": ("loan_quote",),
    "mortgage": ("mortgage",),
    "balance": ("balance",),
    "lost_or_stolen_card": ("lost_card",),
    "cancel_transfer": ("transfer",),
    "pending_transfer": ("transfer",),
    "transfer_timing": ("transfer",),
    "failed_transfer": ("transfer",),
    "transfer_into_account": ("transfer",),
    # A transfer that has not shown up in the balance: about both.
    "balance_not_updated_after_bank_transfer": ("transfer", "balance"),
}
# Secondary (NLU++ ``all_labels``) label -> an intent that is then also a correct answer.
SECONDARY_LABEL_MAP: dict[str, str] = {"handoff": "human_handoff"}
MAX_ROWS = 100_000


class EvalDataError(ValueError):
    """A labelled file that cannot be evaluated; the message names the file and the fault."""


@dataclass(frozen=True, slots=True)
class LabelledUtterance:
    """One row of a labelled file."""

    text: str
    label: str
    all_labels: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)  # line number in its file (the header is line 1)


def accepted_intents(row: LabelledUtterance) -> tuple[str, ...]:
    """Our intents that are a correct answer to ``row``, the expected one first."""
    accepted = LABEL_MAP.get(row.label, (OUT_OF_SCOPE,))
    extra = tuple(SECONDARY_LABEL_MAP[x] for x in row.all_labels if x in SECONDARY_LABEL_MAP)
    return accepted + tuple(x for x in extra if x not in accepted)


@dataclass
class EvalReport:
    """Accuracy overall and on mapped / unserved labels, per dataset label and per intent."""

    n: int
    accuracy: float
    mapped_n: int
    mapped_accuracy: float
    unserved_n: int
    unserved_accuracy: float
    per_label: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_intent: dict[str, dict[str, Any]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    latency_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "mapped": {"n": self.mapped_n, "accuracy": self.mapped_accuracy},
            "unserved": {"n": self.unserved_n, "accuracy": self.unserved_accuracy},
            "per_label": self.per_label,
            "per_intent": self.per_intent,
            "confusion": self.confusion,
            "errors": self.errors,
            "latency_ms": self.latency_ms,
        }


def read_labelled_csv(
    path: Path,
    *,
    error: type[Exception] = EvalDataError,
    max_rows: int = MAX_ROWS,
    max_text_chars: int | None = None,
) -> list[LabelledUtterance]:
    """The rows of a ``text,label`` CSV; raises ``error`` naming the file, the line and what is wrong."""
    rows: list[LabelledUtterance] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in ("text", "label") if c not in columns]
            if missing:
                found = ", ".join(columns) or "nothing"
                raise error(f"{path}: missing column(s) {', '.join(missing)} (found: {found})")
            for number, row in enumerate(reader, start=2):
                text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
                if not text or not label:
                    raise error(f"{path}:{number}: empty text or label")
                if max_text_chars is not None and len(text) > max_text_chars:
                    raise error(f"{path}:{number}: text longer than {max_text_chars} characters")
                extra = tuple(x.strip() for x in (row.get("all_labels") or "").split("|") if x.strip())
                rows.append(LabelledUtterance(text, label, extra, number))
                if len(rows) > max_rows:
                    raise error(f"{path}: more than {max_rows} rows")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise error(f"{path}: not a UTF-8 CSV file ({exc})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if not rows:
        raise error(f"{path}: no rows")
    return rows


def _ratio(good: int, total: int) -> float:
    return round(good / total, 4) if total else 0.0


def _latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "mean": round(statistics.fmean(ordered), 2),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max": round(ordered[-1], 2),
    }


def evaluate(
    classifier: IntentClassifier, rows: Sequence[LabelledUtterance], keep_errors: int = 20
) -> EvalReport:
    """Classify every row and score it against ``LABEL_MAP`` (see the module docstring)."""
    if not rows:
        raise EvalDataError("nothing to evaluate: no rows")
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    good: Counter[str] = Counter()
    total: Counter[str] = Counter()
    expected_n: Counter[str] = Counter()
    predicted_n: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    errors: list[dict[str, str]] = []
    took: list[float] = []
    for row in rows:
        start = time.perf_counter()
        predicted = classifier.classify(row.text).intent
        took.append((time.perf_counter() - start) * 1000)
        accepted = accepted_intents(row)
        right = predicted in accepted
        expected = predicted if right else accepted[0]
        total[row.label] += 1
        confusion[row.label][predicted] += 1
        expected_n[expected] += 1
        predicted_n[predicted] += 1
        if right:
            good[row.label] += 1
            hits[predicted] += 1
        elif len(errors) < keep_errors:
            errors.append({"text": row.text, "label": row.label, "predicted": predicted, "expected": expected})
    mapped = [label for label in total if label in LABEL_MAP]
    unserved = [label for label in total if label not in LABEL_MAP]
    mapped_n, mapped_good = sum(total[x] for x in mapped), sum(good[x] for x in mapped)
    unserved_n, unserved_good = sum(total[x] for x in unserved), sum(good[x] for x in unserved)
    return EvalReport(
        n=len(rows),
        accuracy=_ratio(mapped_good + unserved_good, len(rows)),
        mapped_n=mapped_n,
        mapped_accuracy=_ratio(mapped_good, mapped_n),
        unserved_n=unserved_n,
        unserved_accuracy=_ratio(unserved_good, unserved_n),
        per_label={
            label: {
                "n": total[label],
                "accuracy": _ratio(good[label], total[label]),
                "expected": "|".join(LABEL_MAP.get(label, (OUT_OF_SCOPE,))),
            }
            for label in sorted(total)
        },
        per_intent={
            intent: {
                "expected": expected_n[intent],
                "predicted": predicted_n[intent],
                "precision": _ratio(hits[intent], predicted_n[intent]),
                "recall": _ratio(hits[intent], expected_n[intent]),
            }
            for intent in sorted(expected_n | predicted_n)
        },
        confusion={label: dict(confusion[label].most_common()) for label in sorted(confusion)},
        errors=errors,
        latency_ms=_latency(took),
    )

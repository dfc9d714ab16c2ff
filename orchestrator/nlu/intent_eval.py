"""Measure an intent classifier on a labelled CSV (``text`` and ``label`` columns).

Written for ``realdata/intents/banking_intents_sample.csv`` (BANKING77 and
NLU++ banking labels), which is evaluation data only: nothing is trained on
it. ``LABEL_MAP`` says which of our intents answer each of its labels.
Labels our bot does not serve (card delivery, a card that does not work, a
declined payment) are *unserved*: the right answer is to not pretend, so
``out_of_scope`` or a handoff to a person counts as correct; they are
reported apart from the mapped labels.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.nlu.intents import IntentClassifier

__all__ = ["LABEL_MAP", "UNSERVED_OK", "EvalReport", "evaluate", "read_labelled_csv"]

# Dataset label -> the intents that are a correct answer to it.
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
UNSERVED_OK = ("out_of_scope", "human_handoff")
MAX_ROWS = 100_000


class EvalDataError(ValueError):
    """A labelled file that cannot be evaluated."""


@dataclass
class EvalReport:
    """Accuracy overall, on mapped and unserved labels, and per dataset label."""

    n: int
    accuracy: float
    mapped_n: int
    mapped_accuracy: float
    unserved_n: int
    unserved_accuracy: float
    per_label: dict[str, dict[str, float | int | str]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "mapped": {"n": self.mapped_n, "accuracy": self.mapped_accuracy},
            "unserved": {"n": self.unserved_n, "accuracy": self.unserved_accuracy},
            "per_label": self.per_label,
            "confusion": self.confusion,
            "errors": self.errors,
        }


def read_labelled_csv(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows; raises ``EvalDataError`` naming the file and what is wrong."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in ("text", "label") if c not in columns]
            if missing:
                raise EvalDataError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(columns)})")
            rows = []
            for number, row in enumerate(reader, start=2):
                text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
                if not text or not label:
                    raise EvalDataError(f"{path}:{number}: empty text or label")
                rows.append((text, label))
                if len(rows) > MAX_ROWS:
                    raise EvalDataError(f"{path}: more than {MAX_ROWS} rows")
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise EvalDataError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    if not rows:
        raise EvalDataError(f"{path}: no rows")
    return rows


def _ratio(good: int, total: int) -> float:
    return round(good / total, 4) if total else 0.0


def evaluate(classifier: IntentClassifier, rows: list[tuple[str, str]], keep_errors: int = 20) -> EvalReport:
    """Classify every row and score it against ``LABEL_MAP``."""
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    good: Counter[str] = Counter()
    total: Counter[str] = Counter()
    errors: list[dict[str, str]] = []
    for text, label in rows:
        predicted = classifier.classify(text).intent
        accepted = LABEL_MAP.get(label, UNSERVED_OK)
        total[label] += 1
        confusion[label][predicted] += 1
        if predicted in accepted:
            good[label] += 1
        elif len(errors) < keep_errors:
            errors.append({"text": text, "label": label, "predicted": predicted})
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
                "expected": "|".join(LABEL_MAP.get(label, UNSERVED_OK)),
            }
            for label in sorted(total)
        },
        confusion={label: dict(confusion[label].most_common()) for label in sorted(confusion)},
        errors=errors,
    )

"""Score an intent classifier on labelled rows: accuracy, macro-F1, per-intent figures, confusion.

A row may accept more than one intent (a mapped dataset label about two of
ours); a prediction among them counts as right, and as that intent in the
per-intent figures. Macro-F1 is the unweighted mean of the F1 of every
intent that was expected or predicted at least once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.adapters.data import EvalRow
from orchestrator.nlu.intents import IntentClassifier

__all__ = ["Evaluation", "ProgressFn", "evaluate_rows", "score"]

# (done, total): called after each row, for progress bars.
ProgressFn = Callable[[int, int], None]


def _ratio(good: float, total: float) -> float:
    return round(good / total, 4) if total else 0.0


@dataclass
class Evaluation:
    """How a classifier did on a set of rows."""

    n: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    # expected intent -> predicted intent -> count
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    # Accuracy on rows whose dataset label we serve (mapped files only; None otherwise).
    served_accuracy: float | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "served_accuracy": self.served_accuracy,
            "per_intent": self.per_intent,
            "confusion": self.confusion,
            "errors": self.errors,
        }


def score(pairs: Sequence[tuple[EvalRow, str]], keep_errors: int = 20) -> Evaluation:
    """Score (row, predicted intent) pairs."""
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    good = served_good = served_n = 0
    errors: list[dict[str, str]] = []
    for row, predicted in pairs:
        right = predicted in row.accepted
        expected = predicted if right else row.accepted[0]
        confusion[expected][predicted] += 1
        good += right
        if row.served:
            served_n += 1
            served_good += right
        if not right and len(errors) < keep_errors:
            errors.append({"text": row.text, "expected": expected, "predicted": predicted})
    intents = sorted(set(confusion) | {p for row in confusion.values() for p in row})
    per_intent: dict[str, dict[str, float]] = {}
    for intent in intents:
        hits = confusion[intent][intent]
        support = sum(confusion[intent].values())
        predicted_n = sum(row[intent] for row in confusion.values())
        precision = hits / predicted_n if predicted_n else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {
            "support": support, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)
        }
    n = len(pairs)
    mapped = any(not row.served for row, _ in pairs) or any(len(row.accepted) > 1 for row, _ in pairs)
    return Evaluation(
        n=n,
        accuracy=_ratio(good, n),
        macro_f1=_ratio(sum(v["f1"] for v in per_intent.values()), len(per_intent)),
        per_intent=per_intent,
        confusion={e: dict(sorted(confusion[e].items())) for e in intents if confusion[e]},
        served_accuracy=_ratio(served_good, served_n) if mapped else None,
        errors=errors,
    )


def evaluate_rows(
    classifier: IntentClassifier, rows: Sequence[EvalRow], progress: ProgressFn | None = None
) -> Evaluation:
    """Classify every row with ``classifier`` and score the answers."""
    pairs: list[tuple[EvalRow, str]] = []
    for done, row in enumerate(rows, start=1):
        pairs.append((row, classifier.classify(row.text).intent))
        if progress is not None:
            progress(done, len(rows))
    return score(pairs)

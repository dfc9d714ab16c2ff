"""Intent classification: keyword rules where they are safer, MiniLM embeddings elsewhere.

Two classifiers share one ``classify(text) -> IntentPrediction`` contract:

* ``keywords``: regular expressions only, no model (fast tests, and the
  safe layer of the other one);
* ``minilm``: explicit, high-stakes requests ("my card was stolen",
  "let me speak to a person", "goodbye") are decided by rules first; the
  rest goes to a logistic-regression head over MiniLM sentence embeddings,
  trained at start-up on ``intent_examples``; below a confidence threshold
  the keyword rules get a say, then the answer is ``out_of_scope``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from orchestrator.errors import UnknownBackendError
from orchestrator.nlu.intent_examples import EXAMPLES

__all__ = [
    "CLASSIFIERS",
    "EmbeddingIntentClassifier",
    "IntentClassifier",
    "IntentPrediction",
    "KeywordIntentClassifier",
    "load_intent_classifier",
]

CLASSIFIERS = ("minilm", "keywords")


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """An intent with how sure the classifier is and what decided it."""

    intent: str
    confidence: float
    source: Literal["rule", "embedding", "default"]
    scores: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class IntentClassifier(Protocol):
    """Anything that names the intent of one utterance."""

    name: str

    def classify(self, text: str) -> IntentPrediction:
        """The intent of ``text``."""
        ...


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_CARD = r"(?:card|cards|credit card|debit card|bank card|wallet|purse)"
# Safe rules: explicit requests where a wrong embedding guess would hurt the caller.
_SAFE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lost_card", _rx(rf"\b(?:lost|lose|stolen|stole|missing|misplaced|can'?t find|pickpocket\w*)\b.*\b{_CARD}\b|"
                      rf"\b{_CARD}\b.*\b(?:lost|stolen|missing|gone|misplaced|taken)\b")),
    ("human_handoff", _rx(r"\b(?:human|real person|a person|an agent|agent|representative|operator|advis[oe]r|"
                          r"someone|somebody|member of staff|manager)\b.*$"
                          r"|^\W*(?:agent|operator|human)\W*$")),
    ("goodbye", _rx(r"^\W*(?:(?:ok(?:ay)?|thanks|thank you|cheers|no)[, ]*)*"
                    r"(?:good ?bye|bye(?: bye)?|that'?s all|that is all|that'?s it|that'?s everything|"
                    r"i'?m done|all done|see you)\b[\w\s,.!']*$")),
)
_HANDOFF_VERB = _rx(r"\b(?:speak|talk|put me|connect|transfer me|get me|need|want)\b|^\W*(?:agent|operator|human)\W*$")
# Broader keyword rules: the keyword classifier's answer, and the minilm fallback.
_KEYWORD_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mortgage", _rx(r"\b(?:(?:re)?mortgages?|home loans?|house loans?|refinanc\w*)\b")),
    ("loan_quote", _rx(r"\b(?:loans?|borrow\w*|lend\w*|financ\w*|credit line|repayments?|instal+ments?)\b")),
    ("balance", _rx(r"\b(?:balance|how much (?:money )?(?:do i have|is (?:left|in))|available funds)\b")),
    ("transfer", _rx(r"\b(?:transfer\w*|wire|send (?:some )?money|send funds|standing order|pay (?:my|a) \w+)\b")),
    ("help", _rx(r"\b(?:help|what can you do|what else can you do|what do you do|options|menu|services)\b")),
    ("greeting", _rx(r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening))\b")),
)


def _safe_rule(text: str) -> str | None:
    for intent, pattern in _SAFE_RULES:
        if pattern.search(text):
            if intent == "human_handoff" and not _HANDOFF_VERB.search(text):
                continue  # "someone stole my card" is not a request for a person
            return intent
    return None


def _keyword_rule(text: str) -> str | None:
    for intent, pattern in _KEYWORD_RULES:
        if pattern.search(text):
            return intent
    return None


class KeywordIntentClassifier:
    """Regular expressions only; no model, deterministic, instant."""

    name = "keywords"

    def classify(self, text: str) -> IntentPrediction:
        """The first rule that matches, else ``out_of_scope``."""
        intent = _safe_rule(text) or _keyword_rule(text)
        if intent is None:
            return IntentPrediction("out_of_scope", 0.0, "default")
        return IntentPrediction(intent, 1.0, "rule")


class EmbeddingIntentClassifier:
    """Safe rules, then a logistic-regression head on MiniLM embeddings, then keywords."""

    name = "minilm"

    def __init__(self, threshold: float = 0.5, examples: dict[str, tuple[str, ...]] | None = None) -> None:
        from sklearn.linear_model import LogisticRegression

        from orchestrator.nlu.embeddings import load_encoder

        examples = examples or EXAMPLES
        self.threshold = threshold
        self._encoder = load_encoder()
        texts = [t for intent in examples for t in examples[intent]]
        labels = [intent for intent in examples for _ in examples[intent]]
        head = LogisticRegression(C=10.0, max_iter=2000)
        head.fit(self._encoder.encode(texts), labels)
        self._head = head
        self._labels: list[str] = [str(c) for c in head.classes_]
        self._lock = threading.Lock()

    def scores(self, text: str) -> dict[str, float]:
        """The head's probability for every intent."""
        vector = self._encoder.encode([text])
        with self._lock:
            probabilities = self._head.predict_proba(vector)[0]
        return {label: float(p) for label, p in zip(self._labels, probabilities, strict=True)}

    def classify(self, text: str) -> IntentPrediction:
        """Rules for explicit high-stakes requests, embeddings for the rest."""
        if not text.strip():
            return IntentPrediction("out_of_scope", 0.0, "default")
        if (intent := _safe_rule(text)) is not None:
            return IntentPrediction(intent, 1.0, "rule")
        scores = self.scores(text)
        best = max(scores, key=scores.__getitem__)
        if scores[best] >= self.threshold:
            return IntentPrediction(best, round(scores[best], 4), "embedding", scores)
        if (intent := _keyword_rule(text)) is not None:
            return IntentPrediction(intent, round(scores.get(intent, 0.0), 4), "rule", scores)
        return IntentPrediction("out_of_scope", round(float(np.float64(scores[best])), 4), "default", scores)


@lru_cache(maxsize=4)
def load_intent_classifier(name: str) -> IntentClassifier:
    """The process-wide classifier called ``name`` ("minilm" or "keywords")."""
    if name == "keywords":
        return KeywordIntentClassifier()
    if name == "minilm":
        return EmbeddingIntentClassifier()
    raise UnknownBackendError("intent classifier", name, list(CLASSIFIERS), "VOICEBOT_INTENT_CLASSIFIER")

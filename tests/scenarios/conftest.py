"""Pipelines for the shipped scenarios: fake speech for text scenarios, real models where a scenario names them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.config import Settings
from orchestrator.scenarios import Pipelines


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipelines]:
    """One set of pipelines per test module (models load once per process anyway)."""
    home = tmp_path_factory.mktemp("scenario-home")
    # Text scenarios: fake speech; audio scenarios name their real backends in their settings. No semantic
    # cache: a reply it stored in one scenario would answer another's turn without the dialog (or its tool calls).
    base = Settings(home=home, stt="fake", tts="fake", llm="rules", intent_classifier="minilm", cache=False)
    base.ensure_dirs()
    built = Pipelines(base)
    yield built
    built.close()

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
    # Text scenarios: fake speech; audio scenarios name their real backends in their settings. The semantic
    # cache serves only scenarios with a cache: expectation (Pipelines' default), so a reply stored by one
    # scenario never answers another's turn without the dialog (or its tool calls).
    base = Settings(home=home, stt="fake", tts="fake", llm="rules", intent_classifier="minilm")
    base.ensure_dirs()
    built = Pipelines(base)
    yield built
    built.close()

"""Fixtures shared by these tests: redis-server, the run-scenario CLI, pipelines, the scripted LLM server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.pipeline import Pipeline
from tests.conftest import make_pipeline
from tests.llm_server import FakeLLMServer
from tests.redis_server import redis_url

__all__ = ["llm_server", "pipelines", "redis_url", "run_cli"]


@pytest.fixture
def run_cli(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``voicebot run-scenario ARGS...`` in-process, on the scripted speech backends and keyword intents."""
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    monkeypatch.setenv("VOICEBOT_STT", "fake")
    monkeypatch.setenv("VOICEBOT_TTS", "fake")
    monkeypatch.setenv("VOICEBOT_INTENT_CLASSIFIER", "keywords")
    runner = CliRunner()

    def invoke(*args: Any) -> Result:
        return runner.invoke(app, ["run-scenario", *map(str, args)])

    return invoke


@pytest.fixture
def pipelines(fake_settings: Settings) -> Iterator[Callable[..., Pipeline]]:
    """Build pipelines on the shared fake settings; every store is closed afterwards."""
    made: list[Pipeline] = []

    def build(settings: Settings | None = None, **backends: object) -> Pipeline:
        pipeline = make_pipeline(settings or fake_settings, **backends)
        made.append(pipeline)
        return pipeline

    yield build
    for pipeline in made:
        pipeline.store.close()


@pytest.fixture(name="server")
def llm_server() -> Iterator[FakeLLMServer]:
    """The scripted LLM server on loopback (``tests/llm_server.py``)."""
    srv = FakeLLMServer().start()
    yield srv
    srv.stop()

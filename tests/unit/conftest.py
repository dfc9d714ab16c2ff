"""Fixtures shared by these tests: a real redis-server (see tests/redis_server.py), the run-scenario CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.config import Settings
from tests.llm_server import FakeLLMServer
from tests.redis_server import redis_url

__all__ = ["llm_server", "redis_url", "run_cli"]


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    """The scripted chat-completions server on loopback (see tests/llm_server.py)."""
    server = FakeLLMServer().start()
    yield server
    server.stop()


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

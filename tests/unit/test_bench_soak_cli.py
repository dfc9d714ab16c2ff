"""`voicebot bench --soak N`: the soak's verdict is the exit code (the voice turns are replaced: they need Piper)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from typer.testing import CliRunner

import orchestrator.soak
from orchestrator.cli import app
from orchestrator.config import Settings


@pytest.fixture
def bench_cli(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    monkeypatch.setenv("VOICEBOT_STT", "fake")
    monkeypatch.setenv("VOICEBOT_TTS", "fake")
    monkeypatch.setenv("VOICEBOT_LLM", "rules")
    monkeypatch.setenv("VOICEBOT_INTENT_CLASSIFIER", "keywords")
    monkeypatch.setenv("VOICEBOT_CACHE_ENCODER", "hashing")

    async def no_voice_turns(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return {}

    # orchestrator.cli re-exports the command under the module's name, so reach the module itself.
    monkeypatch.setattr(importlib.import_module("orchestrator.cli.bench"), "run_bench", no_voice_turns)
    return CliRunner()


@pytest.mark.parametrize(("limit", "code"), [(1000.0, 0), (-1000.0, 1)], ids=["met", "missed"])
def test_bench_soak_exits_1_when_the_rss_target_is_missed(bench_cli: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                                         limit: float, code: int):
    monkeypatch.setattr(orchestrator.soak, "RSS_GROWTH_LIMIT_PCT", limit)
    result = bench_cli.invoke(app, ["bench", "--soak", "60", "--json"])
    assert result.exit_code == code, result.output
    soak = json.loads(result.stdout)["soak"]
    assert (soak["turns"], soak["errors"], soak["fds_flat"], soak["passed"]) == (60, 0, True, code == 0)

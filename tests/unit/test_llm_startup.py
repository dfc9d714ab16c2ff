"""The mistral and openai dialog backends at start-up: a missing key or URL stops it with a fix-it message."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.llm.base import DIALOG_BACKENDS
from tests.llm_server import text_reply
from tests.unit.llm_helpers import llm_settings


def test_a_missing_mistral_key_stops_start_up_and_names_the_variable(home, monkeypatch):
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    settings = Settings(home=home, llm="mistral")

    with pytest.raises(ConfigError, match="MISTRAL_API_KEY"):
        DIALOG_BACKENDS.create("mistral", settings)


@pytest.mark.parametrize(("overrides", "variable"), [
    ({"openai_url": None, "openai_model": "m"}, "VOICEBOT_OPENAI_URL"),
    ({"openai_url": "http://127.0.0.1:9/v1", "openai_model": None}, "VOICEBOT_OPENAI_MODEL"),
])
def test_openai_needs_a_url_and_a_model(home, overrides, variable):
    with pytest.raises(ConfigError, match=variable):
        DIALOG_BACKENDS.create("openai", Settings(home=home, llm="openai", **overrides))


def test_openai_works_without_a_key(home, server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.queue(text_reply("Hello."))
    settings = llm_settings(home, "openai", server, monkeypatch)
    monkeypatch.delenv("OPENAI_API_KEY")
    dialog = DIALOG_BACKENDS.create("openai", settings)

    turn_result = dialog.reply("hello", {})

    assert turn_result.text == "Hello."
    assert server.requests[0].headers["authorization"] == "Bearer no-key"


def test_the_cli_refuses_to_start_without_the_key(home, monkeypatch):
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    for name, value in {"LLM": "mistral", "STT": "fake", "TTS": "fake", "INTENT_CLASSIFIER": "keywords"}.items():
        monkeypatch.setenv(f"VOICEBOT_{name}", value)

    result = CliRunner().invoke(app, ["turn", "--text", "hello"])

    assert result.exit_code == 2
    assert "MISTRAL_API_KEY" in result.output


def test_the_browser_app_refuses_to_start_without_the_key(home):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    env = {k: v for k, v in os.environ.items() if k != "MISTRAL_API_KEY"}
    env.update(VOICEBOT_LLM="mistral", VOICEBOT_HOME=str(home))

    proc = subprocess.run([sys.executable, "-c", "import app"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)

    assert proc.returncode == 2
    assert "MISTRAL_API_KEY" in proc.stderr and "Traceback" not in proc.stderr

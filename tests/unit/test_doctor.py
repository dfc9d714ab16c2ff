"""``voicebot doctor``: each check on a real install, a failed check exits 1, and no secret is ever printed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from orchestrator.audit.key import load_audit_key
from orchestrator.cli import app


@pytest.fixture
def doctor(home, monkeypatch: pytest.MonkeyPatch):
    for name, value in (("VOICEBOT_STT", "fake"), ("VOICEBOT_TTS", "fake"), ("VOICEBOT_INTENT_CLASSIFIER", "keywords")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VOICEBOT_AUDIT_KEY", raising=False)

    def run(*args: str) -> tuple[Result, dict]:
        result = CliRunner().invoke(app, ["doctor", "--json", *args])
        return result, json.loads(result.stdout)

    return run


def status(data: dict, prefix: str) -> tuple[str, str]:
    check = next(c for c in data["checks"] if c["name"].startswith(prefix))
    return check["status"], check["detail"]


def test_a_fresh_install_passes_and_warns_that_an_audit_key_will_be_generated(doctor, home):
    result, data = doctor()
    assert result.exit_code == 0 and data["ok"] is True
    assert status(data, "audit key")[0] == "warn" and "VOICEBOT_AUDIT_KEY" in status(data, "audit key")[1]
    assert status(data, "session store")[0] == "ok" and status(data, "semantic-cache store")[0] == "ok"
    assert not (home / "keys").exists()  # doctor never makes the key


def test_a_generated_key_is_a_warning_and_the_environment_key_is_ok_and_never_shown(doctor, home, monkeypatch):
    key = load_audit_key(home)
    _result, data = doctor()
    assert status(data, "audit key")[0] == "warn" and key.key_id in status(data, "audit key")[1]
    monkeypatch.setenv("VOICEBOT_AUDIT_KEY", "a-very-secret-audit-key-value-0123456789")
    result, data = doctor()
    assert status(data, "audit key")[0] == "ok" and "a-very-secret" not in result.output


def test_an_exposed_key_file_fails_the_check_and_exits_1(doctor, home):
    load_audit_key(home).path.chmod(0o644)  # type: ignore[union-attr]
    result, data = doctor()
    assert result.exit_code == 1 and status(data, "audit key")[0] == "fail"


@pytest.mark.parametrize(("env", "expected"), [
    ({"VOICEBOT_LLM": "mistral"}, ("fail", "set MISTRAL_API_KEY")),
    ({"VOICEBOT_LLM": "mistral", "MISTRAL_API_KEY": "sk-do-not-print"}, ("ok", "MISTRAL_API_KEY is set")),
    ({"VOICEBOT_LLM": "openai"}, ("fail", "VOICEBOT_OPENAI_URL and VOICEBOT_OPENAI_MODEL")),
    ({"VOICEBOT_LLM": "openai", "VOICEBOT_OPENAI_URL": "http://127.0.0.1:9/v1", "VOICEBOT_OPENAI_MODEL": "m"},
     ("ok", "model m")),
])
def test_an_llm_backend_needs_its_key_or_server(doctor, monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result, data = doctor()
    got, detail = status(data, "dialog backend")
    assert got == expected[0] and expected[1] in detail and "sk-do-not-print" not in result.output
    assert result.exit_code == (1 if got == "fail" else 0)


@pytest.mark.parametrize(("env", "prefix"), [
    ({"VOICEBOT_STT": "whisper-base"}, "speech-to-text"), ({"VOICEBOT_STT": "whisper-tiny"}, "speech-to-text"),
    ({"VOICEBOT_TTS": "piper"}, "text-to-speech"), ({"VOICEBOT_INTENT_CLASSIFIER": "minilm"}, "MiniLM"),
])
def test_the_installed_models_are_found_without_loading_them(doctor, monkeypatch, env, prefix):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _result, data = doctor()
    assert status(data, prefix)[0] == "ok", status(data, prefix)


def test_an_unknown_backend_fails(doctor, monkeypatch):
    monkeypatch.setenv("VOICEBOT_STT", "telepathy")
    result, data = doctor()
    assert result.exit_code == 1 and status(data, "speech-to-text")[0] == "fail"


def test_an_unreachable_redis_store_fails_without_showing_its_password(doctor, monkeypatch):
    monkeypatch.setenv("VOICEBOT_STORE", "redis://ops:hunter2-do-not-print@127.0.0.1:1/0")
    result, data = doctor()
    assert result.exit_code == 1 and status(data, "session store")[0] == "fail"
    assert "hunter2" not in result.output and "***@127.0.0.1:1" in result.output


def test_a_damaged_cache_file_fails_its_check(doctor, home):
    (home / "cache").mkdir(parents=True)
    (home / "cache" / "entries.json").write_text("{not json")
    result, data = doctor()
    assert result.exit_code == 1 and "damaged" in status(data, "semantic-cache store")[1]


def test_the_human_report_lists_every_check(home, monkeypatch):
    monkeypatch.setenv("VOICEBOT_STT", "fake")
    monkeypatch.setenv("VOICEBOT_TTS", "fake")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0 and "checks: 0 failed" in result.output and "audit key" in result.output

"""The audit key and chain across real processes: one key however many start at once, no lost or
interleaved line when two processes append to one session, and a chain a SIGKILL leaves still verifies."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.audit import verify_audit
from orchestrator.audit.key import load_audit_key
from orchestrator.cli import app
from orchestrator.errors import ConfigError
from tests.conftest import REPO_ROOT

APPENDER = """
import sys
from pathlib import Path
from orchestrator.audit import AuditSink
from orchestrator.audit.key import load_audit_key
from orchestrator.events import TurnStarted
home, session, count, tag = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
sink = AuditSink(home / "audit", load_audit_key(home))
print("ready", flush=True)
for n in range(count):
    sink(TurnStarted(session_id=session, turn=n, input_kind="text", backends={"writer": tag, "pad": "x" * 3000}))
"""

KEY_MAKER = """
import sys, time
from pathlib import Path
from orchestrator.audit.key import load_audit_key
start = float(sys.argv[2])
while time.time() < start:
    pass
print(load_audit_key(Path(sys.argv[1])).key_id)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VOICEBOT_AUDIT_KEY"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def _python(script: str, *args: object, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=_env(), text=True,
                            stdout=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEBOT_AUDIT_KEY", raising=False)


def test_a_key_is_generated_on_first_start_private_and_reused(home, no_env_key):
    first = load_audit_key(home)
    path = home / "keys" / "audit.key"
    assert first.created and first.source == "file" and first.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = load_audit_key(home)
    assert not again.created and again.secret == first.secret and len(first.secret) == 32


def test_processes_starting_at_once_all_get_the_same_key(home, no_env_key):
    start = time.time() + 1.5  # every process spins until then, so they race for the file
    makers = [_python(KEY_MAKER, home, start) for _ in range(6)]
    ids = {proc.communicate(timeout=60)[0].strip() for proc in makers}
    assert len(ids) == 1 and ids != {""}
    assert [p.name for p in (home / "keys").iterdir()] == ["audit.key"]  # no temporary file left


def test_the_environment_key_wins_and_a_short_one_is_refused(home, monkeypatch):
    monkeypatch.setenv("VOICEBOT_AUDIT_KEY", "x" * 40)
    key = load_audit_key(home)
    assert key.source == "env" and key.secret == b"x" * 40 and not (home / "keys").exists()
    monkeypatch.setenv("VOICEBOT_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        load_audit_key(home)


@pytest.mark.parametrize(("mode", "content", "message"), [
    (0o644, "ab" * 32, "can be read by other users"),
    (0o600, "not hex at all", "damaged"),
    (0o600, "ab" * 8, "damaged"),
])
def test_an_exposed_or_damaged_key_file_is_refused(home, no_env_key, mode, content, message):
    path = home / "keys" / "audit.key"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=message):
        load_audit_key(home)


def test_a_turn_with_an_exposed_key_file_stops_with_exit_2(fake_settings, no_env_key, monkeypatch):
    path = fake_settings.home / "keys" / "audit.key"
    load_audit_key(fake_settings.home)
    path.chmod(0o640)
    for name, value in (("VOICEBOT_STT", "fake"), ("VOICEBOT_TTS", "fake"), ("VOICEBOT_INTENT_CLASSIFIER", "keywords")):
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["turn", "--text", "hello", "--json"])
    assert result.exit_code == 2 and "chmod 600" in json.loads(result.stdout)["error"]["message"]


def test_two_processes_appending_to_one_session_lose_and_interleave_nothing(home, no_env_key):
    load_audit_key(home)
    writers = [_python(APPENDER, home, "shared", 150, tag) for tag in ("a", "b")]
    for proc in writers:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    result = verify_audit(home / "audit", "shared", load_audit_key(home))
    assert result.ok and result.note == "" and result.lines == 300
    lines = (home / "audit" / "shared.audit.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["event"]["backends"]["writer"] for x in lines) == ["a"] * 150 + ["b"] * 150


def test_a_process_killed_while_appending_leaves_a_chain_that_verifies(home, no_env_key):
    key = load_audit_key(home)
    for attempt in range(4):
        proc = _python(APPENDER, home, "killed", 100_000, "k", stderr=subprocess.DEVNULL)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.07 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        result = verify_audit(home / "audit", "killed", key)
        assert result.ok, result
    writer = _python(APPENDER, home, "killed", 1, "after")
    writer.communicate(timeout=60)
    final = verify_audit(home / "audit", "killed", key)
    assert final.ok and final.note == "", final
    assert Path(home / "audit" / "killed.audit.jsonl").read_bytes().endswith(b"\n")

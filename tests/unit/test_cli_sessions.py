"""voicebot sessions list|show|export|purge over every store, interrupted purges and hostile input."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.dialog.rules import RulesDialog
from orchestrator.pipeline import Pipeline
from orchestrator.runtime import default_tracer
from orchestrator.sessions.factory import open_store
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.fake import FakeTTS
from tests.unit.helpers import tone, wav_bytes


@pytest.fixture(params=["sqlite", "memory", "redis"])
def env(request: pytest.FixtureRequest, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Fake backends over each store; the CLI sees the same settings through the environment."""
    store = request.getfixturevalue("redis_url") if request.param == "redis" else request.param
    variables = {"VOICEBOT_HOME": str(fake_settings.home), "VOICEBOT_STORE": store, "VOICEBOT_STT": "fake",
                 "VOICEBOT_TTS": "fake", "VOICEBOT_INTENT_CLASSIFIER": "keywords"}
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    settings = fake_settings.model_copy(update={"store": store})
    if request.param == "redis":
        handle = open_store(settings)
        handle.client.flushdb()  # type: ignore[attr-defined]
        handle.close()
    return settings


def record(settings: Settings, sid: str, texts: tuple[str, ...] = ("hello",), audio: bool = False) -> None:
    store = open_store(settings)
    pipeline = Pipeline(settings, stt=FakeSTT(["hello"]), tts=FakeTTS(), dialog=RulesDialog(), store=store,
                        tracer=default_tracer(settings, live=False, store=store))

    async def go() -> None:
        if audio:
            await pipeline.run_turn(sid, audio=wav_bytes(tone(1.0)))
        for text in texts:
            await pipeline.run_turn(sid, text=text)

    try:
        asyncio.run(go())
    finally:
        store.close()


def cli(*args: str):
    return CliRunner().invoke(app, ["sessions", *args])


def as_json(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_store_lists_shows_exports_and_purges(env, tmp_path):
    record(env, "cs-a", ("hello", "I want a loan of 25,000 dollars"), audio=True)
    time.sleep(0.01)
    record(env, "cs-b")
    assert [s["session_id"] for s in as_json(cli("list", "--json"))["sessions"]] == ["cs-b", "cs-a"]
    shown = as_json(cli("show", "cs-a", "--json"))
    assert shown["turns"] == 3 and [h["intent"] for h in shown["history"]] == ["greeting", "greeting", "loan_quote"]
    out = tmp_path / "a.json"
    assert as_json(cli("export", "cs-a", "--out", str(out), "--json"))["path"] == str(out)
    bundle = json.loads(out.read_text())
    assert bundle["session"]["turns"] == 3 and bundle["recordings"] == ["cs-a-t0001-caller.wav"]
    assert [e["turn"] for e in bundle["events"] if e["type"] == "turn_ended"] == [1, 2, 3]
    purged = as_json(cli("purge", "cs-a", "--json"))["purged"]
    assert [(p["session_id"], p["state_deleted"], p["files_deleted"]) for p in purged] == [
        ("cs-a", True, ["cs-a.jsonl", "cs-a-t0001-caller.wav"])]
    assert [s["session_id"] for s in as_json(cli("list", "--json"))["sessions"]] == ["cs-b"]
    assert cli("show", "cs-a").exit_code == 2


def test_export_to_stdout_is_the_same_bundle(env):
    record(env, "cs-out")
    bundle = as_json(cli("export", "cs-out"))
    assert bundle["session"]["session_id"] == "cs-out" and bundle["events"][0]["type"] == "turn_started"


@pytest.mark.parametrize("bad", ["../etc", "a/b", "x" * 65, "ünï", "a\x00b", "sp ace"])
@pytest.mark.parametrize("command", ["show", "export", "purge"])
def test_hostile_ids_exit_2_with_a_json_error(env, command, bad):
    result = cli(command, "--json", "--", bad)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["category"] == "invalid_session_id"


def test_an_empty_id_exits_2(env):
    assert cli("show", "").exit_code == 2


@pytest.fixture
def sqlite_env(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {"VOICEBOT_HOME": str(fake_settings.home), "VOICEBOT_STORE": "sqlite"}.items():
        monkeypatch.setenv(key, value)
    return fake_settings


def test_purge_takes_the_reply_audio_too_but_never_a_longer_ids_files(sqlite_env):
    record(sqlite_env, "cs", audio=True)
    record(sqlite_env, "cs-t0001", audio=True)  # its files start with "cs-t0001" as well
    audio = sqlite_env.audio_dir
    (audio / "cs-turn1.wav").write_bytes(b"RIFF")  # what `voicebot turn` writes for the reply
    purged = as_json(cli("purge", "cs", "--json"))["purged"][0]
    assert sorted(purged["files_deleted"]) == ["cs-t0001-caller.wav", "cs-turn1.wav", "cs.jsonl"]
    assert (audio / "cs-t0001-t0001-caller.wav").exists()
    assert (sqlite_env.logs_dir / "cs-t0001.jsonl").exists()


def test_an_interrupted_purge_is_listed_and_finished_by_a_second_purge(sqlite_env):
    record(sqlite_env, "cs-half", audio=True)
    store = open_store(sqlite_env)
    store.delete("cs-half")  # the purge died after deleting the state
    store.close()
    listed = as_json(cli("list", "--json"))
    assert listed["sessions"] == [] and listed["orphan_logs"] == ["cs-half"]
    assert "cs-half" in cli("list").stdout
    purged = as_json(cli("purge", "cs-half", "--json"))["purged"][0]
    assert purged["state_deleted"] is False and sorted(purged["files_deleted"]) == [
        "cs-half-t0001-caller.wav", "cs-half.jsonl"
    ]
    assert as_json(cli("list", "--json"))["orphan_logs"] == []
    assert cli("purge", "cs-half").exit_code == 2  # now nothing is left to purge


def test_purge_checks_every_named_id_before_deleting_anything(sqlite_env):
    record(sqlite_env, "cs-keep")
    result = cli("purge", "cs-keep", "cs-ghost", "--json")
    assert result.exit_code == 2 and "cs-ghost" in json.loads(result.stdout)["error"]["message"]
    assert as_json(cli("show", "cs-keep", "--json"))["turns"] == 1


def age(settings: Settings, sid: str, days: int) -> None:
    """Make a session (state and log) look idle for ``days``."""
    then = datetime.now(UTC) - timedelta(days=days)
    with sqlite3.connect(settings.sessions_dir / "sessions.db") as conn:
        (raw,) = conn.execute("SELECT state_json FROM sessions WHERE session_id = ?", (sid,)).fetchone()
        data = json.loads(raw)
        data["updated_at"] = then.isoformat()
        conn.execute("UPDATE sessions SET state_json = ?, updated_at = ? WHERE session_id = ?",
                     (json.dumps(data), then.isoformat(), sid))
    os.utime(settings.logs_dir / f"{sid}.jsonl", (then.timestamp(), then.timestamp()))


def test_purge_older_than_takes_old_sessions_and_old_orphan_logs_only(sqlite_env):
    for sid in ("cs-old", "cs-new", "cs-lost-old", "cs-lost-new"):
        record(sqlite_env, sid)
    age(sqlite_env, "cs-old", 40)
    age(sqlite_env, "cs-lost-old", 40)
    store = open_store(sqlite_env)
    store.delete("cs-lost-old")
    store.delete("cs-lost-new")
    store.close()
    listed = as_json(cli("list", "--older-than", "30d", "--json"))
    assert [s["session_id"] for s in listed["sessions"]] == ["cs-old"] and listed["orphan_logs"] == ["cs-lost-old"]
    purged = as_json(cli("purge", "--older-than", "30d", "--yes", "--json"))["purged"]
    assert sorted(p["session_id"] for p in purged) == ["cs-lost-old", "cs-old"]
    left = as_json(cli("list", "--json"))
    assert [s["session_id"] for s in left["sessions"]] == ["cs-new"] and left["orphan_logs"] == ["cs-lost-new"]


def test_export_to_a_folder_or_below_a_file_exits_2(sqlite_env, tmp_path):
    record(sqlite_env, "cs-x")
    (tmp_path / "plain.txt").write_text("x")
    for target in (tmp_path, tmp_path / "plain.txt" / "bundle.json"):
        result = cli("export", "cs-x", "--out", str(target))
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["list", "--older-than", "a while"], ["purge", "--older-than", "30d"],
                                  ["purge"], ["frobnicate"]])
def test_usage_errors_exit_2(sqlite_env, args):
    assert cli(*args).exit_code == 2


@pytest.mark.parametrize("command", ["list", "show", "export", "purge"])
def test_every_command_documents_itself(command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "--json" in result.stdout

"""``sessions purge`` purges a session with everything made from it, keeps the audit chain and says why,
and no Redis URL with a password is ever printed."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cache.stores import open_cache_store
from orchestrator.cache.turns import load_turn_cache
from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.replay import recorded_turns, rerun
from orchestrator.scenarios.loader import load_scenario
from orchestrator.scenarios.record import save_session_as_scenario
from orchestrator.scenarios.runner import run_scenario
from orchestrator.sessions.lineage import session_tag
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["sessions", *args])


@pytest.fixture
def family(fake_settings: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A call with kept audio and cache entries, a rerun of it, a scenario recorded from it and a rerun of that."""
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))

    async def build() -> dict[str, str]:
        pipeline = make_pipeline(fake_settings)
        pipeline.cache = load_turn_cache(fake_settings, pipeline.dialog)
        try:
            await pipeline.run_turn("call", audio=wav_bytes(tone(1.0)))  # fake STT hears "hello"
            await pipeline.run_turn("call", text="What are your opening hours?")
            await pipeline.run_turn("other", text="How do I reset my online banking password?")
            rr, _ = await rerun(pipeline, recorded_turns(fake_settings, "call"), "call")
            path = save_session_as_scenario(fake_settings, pipeline.store, "call", tmp_path)
            scn = (await run_scenario(load_scenario(path), pipeline)).session_id
            rr_of_scn, _ = await rerun(pipeline, recorded_turns(fake_settings, scn), scn)
            unrelated, _ = await rerun(pipeline, recorded_turns(fake_settings, "other"), "other")
        finally:
            pipeline.store.close()
        return {"rr": rr, "scn": scn, "rr_of_scn": rr_of_scn, "unrelated": unrelated}

    return asyncio.run(build())


def entries_of(settings: Settings, session_id: str) -> int:
    store = open_cache_store(settings)
    return sum(e.source == session_tag(session_id) for e in store.load())


def test_purge_removes_the_session_its_derived_sessions_their_audio_and_its_cache_entries(family, fake_settings):
    assert entries_of(fake_settings, "call") >= 1 and entries_of(fake_settings, "other") >= 1
    assert list(fake_settings.audio_dir.glob("call-t0001-caller.wav"))

    result = cli("purge", "call", "--json")
    assert result.exit_code == 0, result.output
    purged = json.loads(result.stdout)["purged"][0]

    derived = {family["rr"], family["scn"], family["rr_of_scn"]}
    assert set(purged["derived_sessions"]) == derived
    assert set(purged["states_deleted"]) == {"call", *derived}
    assert purged["cache_entries_deleted"] >= 1 and entries_of(fake_settings, "call") == 0
    assert entries_of(fake_settings, "other") >= 1  # another caller's entries stay
    left = {p.name for folder in (fake_settings.logs_dir, fake_settings.audio_dir) for p in folder.iterdir()}
    assert not [name for name in left if any(name.startswith(s) for s in ("call", *derived))]
    listed = {s["session_id"] for s in json.loads(cli("list", "--json").stdout)["sessions"]}
    assert listed == {"other", family["unrelated"]}


def test_purge_keeps_the_audit_chains_says_why_and_they_still_verify(family, fake_settings):
    result = cli("purge", "call")
    assert result.exit_code == 0
    assert "kept: the audit chain of call" in result.output and "redacted" in result.output
    assert "3 derived session(s)" in result.output
    for sid in ("call", family["rr"], family["scn"]):
        assert (fake_settings.audit_dir / f"{sid}.audit.jsonl").exists()
    verified = CliRunner().invoke(app, ["audit", "verify", "--all", "--json"])
    assert verified.exit_code == 0, verified.output


def test_purging_a_derived_session_leaves_its_source(family, fake_settings):
    result = cli("purge", family["rr"], "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["purged"][0]["derived_sessions"] == []
    assert {"call", family["scn"]} <= {s["session_id"] for s in json.loads(cli("list", "--json").stdout)["sessions"]}


@pytest.mark.parametrize("args", [["nobody"], ["../etc"], []])
def test_bad_purge_targets_are_refused_with_exit_2(family, args):
    result = cli("purge", *args, "--json")
    assert result.exit_code == 2 and "error" in json.loads(result.stdout)


# -- Redis URLs ------------------------------------------------------------------------------------


@pytest.fixture
def private_redis(redis_url: str) -> str:
    """A Redis user with a password on the shared test server: redis://purger:<password>@host:port/0."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.execute_command("ACL", "SETUSER", "purger", "on", ">pw-do-not-print-9f3", "~*", "&*", "+@all")
    client.close()
    parts = urlsplit(redis_url)
    return f"redis://purger:pw-do-not-print-9f3@{parts.hostname}:{parts.port}/0"


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://admin:pw-do-not-print-9f3@127.0.0.1:{port}/0"


@pytest.mark.parametrize("case", ["unreachable", "wrong password", "typo in the scheme"])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_redis_password_is_never_printed_in_an_error(home, monkeypatch, private_redis, case, as_json):
    url = {"unreachable": _closed_port_url(), "wrong password": private_redis.replace("9f3@", "9f4@"),
           "typo in the scheme": "redis:/admin:pw-do-not-print-9f3@localhost/0"}[case]
    monkeypatch.setenv("VOICEBOT_STORE", url)
    for args in (["list"], ["purge", "x"], ["show", "x"]):
        result = cli(*args, *(["--json"] if as_json else []))
        assert result.exit_code == 2, result.output
        assert "pw-do-not-print" not in result.output and "9f4" not in result.output


def test_a_working_redis_url_is_shown_without_its_password(home, monkeypatch, private_redis):
    monkeypatch.setenv("VOICEBOT_STORE", private_redis)
    stats = CliRunner().invoke(app, ["cache-manager", "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    assert "pw-do-not-print" not in stats.output and json.loads(stats.stdout)["store"].startswith("redis redis://***@")
    assert cli("list", "--json").exit_code == 0

"""orchestrator-log, sessions, replay-session and monitor-session on a real store and real logs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.errors import EmptyTextError
from orchestrator.logquery import LogFilter, iter_events, parse_since, summarize
from orchestrator.sessions.sqlite import SqliteSessionStore
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes

LOAN = ["I want a loan of 25,000 dollars", "over 5 years at 6.5 percent", "yes"]


@pytest.fixture
def env(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {"VOICEBOT_HOME": str(fake_settings.home), "VOICEBOT_STT": "fake", "VOICEBOT_TTS": "fake",
                       "VOICEBOT_INTENT_CLASSIFIER": "keywords", "VOICEBOT_FAKE_TRANSCRIPTS": "hello"}.items():
        monkeypatch.setenv(key, value)
    return fake_settings


def record(settings: Settings, sid: str, texts: list[str], audio_first: bool = False) -> None:
    async def go() -> None:
        pipeline = make_pipeline(settings)
        try:
            if audio_first:
                await pipeline.run_turn(sid, audio=wav_bytes(tone(1.0)))
            for text in texts:
                await pipeline.run_turn(sid, text=text)
            with pytest.raises(EmptyTextError):
                await pipeline.run_turn(sid, text="   ")  # a failed turn is logged too
        finally:
            pipeline.store.close()

    asyncio.run(go())


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


# -- orchestrator-log ------------------------------------------------------------------------


def test_the_log_filters_by_session_stage_and_level(env):
    record(env, "log-a", LOAN)
    record(env, "log-b", ["hello"])
    dialog = cli("orchestrator-log", "--session", "log-a", "--stage", "dialog", "--json")
    assert dialog.exit_code == 0, dialog.output
    events = [json.loads(line) for line in dialog.stdout.splitlines()]
    assert [e["type"] for e in events] == ["dialog_reply"] * 3
    assert {e["session_id"] for e in events} == {"log-a"}
    errors = cli("orchestrator-log", "--level", "error", "--json")
    kinds = [json.loads(line)["type"] for line in errors.stdout.splitlines()]
    assert kinds == ["error", "error"]  # one failed turn per session
    everything = cli("orchestrator-log")
    assert "log-a" in everything.stdout and "log-b" in everything.stdout


def test_the_log_since_filter_and_the_summary(env):
    record(env, "log-c", LOAN)
    future = cli("orchestrator-log", "--since", (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "--json")
    assert future.exit_code == 0 and future.stdout == ""
    recent = cli("orchestrator-log", "--since", "10m", "--json")
    assert len(recent.stdout.splitlines()) > 5
    summary = cli("orchestrator-log", "--summary", "--json")
    data = json.loads(summary.stdout)
    assert data["sessions"] == 1 and data["stages"]["dialog"]["count"] == 3
    assert data["stages"]["dialog"]["p95_ms"] >= data["stages"]["dialog"]["p50_ms"] >= 0
    assert data["stages"]["input"]["errors"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "nope"], "unknown stage"),
        (["--level", "loud"], "unknown level"),
        (["--since", "yesterday-ish"], "bad time"),
        (["--session", "../x"], "invalid session id"),
    ],
)
def test_bad_log_filters_exit_2(env, args, message):
    result = cli("orchestrator-log", *args)
    assert result.exit_code == 2 and message in result.output


def test_parse_since_and_summarize_directly():
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since("2026-01-01T00:00", now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert summarize([]) == {"events": 0, "sessions": 0, "stages": {}}


def test_a_torn_last_line_is_skipped(env):
    record(env, "log-torn", ["hello"])
    path = env.logs_dir / "log-torn.jsonl"
    with path.open("a") as handle:
        handle.write('{"session_id": "log-torn", "turn": 9, "ty')
    assert all(e.turn != 9 for e in iter_events(env.logs_dir, LogFilter(session="log-torn")))


# -- sessions ------------------------------------------------------------------------------------


def test_sessions_list_show_export_and_purge(env, tmp_path):
    record(env, "keep-1", LOAN, audio_first=True)
    record(env, "drop-1", ["hello"])
    listed = json.loads(cli("sessions", "list", "--json").stdout)["sessions"]
    assert {s["session_id"] for s in listed} == {"keep-1", "drop-1"}
    shown = json.loads(cli("sessions", "show", "keep-1", "--json").stdout)
    assert shown["turns"] == 5 and shown["history"][0]["input_kind"] == "audio"
    assert shown["history"][0]["audio_file"] == "keep-1-t0001-caller.wav"
    out = tmp_path / "bundle.json"
    exported = cli("sessions", "export", "keep-1", "--out", str(out))
    assert exported.exit_code == 0
    bundle = json.loads(out.read_text())
    assert bundle["session"]["session_id"] == "keep-1" and len(bundle["events"]) > 10
    assert bundle["recordings"] == ["keep-1-t0001-caller.wav"]
    purged = json.loads(cli("sessions", "purge", "drop-1", "--json").stdout)["purged"][0]
    assert purged["state_deleted"] and purged["files_deleted"] == ["drop-1.jsonl"]
    assert cli("sessions", "show", "drop-1").exit_code == 2
    assert not (env.logs_dir / "drop-1.jsonl").exists()


def test_purge_by_age_needs_yes_and_only_takes_old_sessions(env):
    record(env, "young-1", ["hello"])
    assert cli("sessions", "purge", "--older-than", "30d").exit_code == 2
    result = cli("sessions", "purge", "--older-than", "30d", "--yes", "--json")
    assert json.loads(result.stdout)["purged"] == []
    store = SqliteSessionStore(env.sessions_dir / "sessions.db")
    assert store.load("young-1") is not None
    store.close()
    old = cli("sessions", "list", "--older-than", "0s", "--json")
    assert [s["session_id"] for s in json.loads(old.stdout)["sessions"]] == ["young-1"]


@pytest.mark.parametrize("args", [["show", "nosuch"], ["export", "nosuch"], ["purge", "nosuch"], ["show", "../../x"],
                                  ["purge"], ["list", "--older-than", "soon"]])
def test_unknown_or_hostile_sessions_exit_2(env, args):
    result = cli("sessions", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


# -- replay-session ------------------------------------------------------------------------------


def test_replay_draws_the_session_turn_by_turn(env):
    record(env, "rp-1", LOAN, audio_first=True)
    drawn = cli("replay-session", "rp-1")
    assert drawn.exit_code == 0
    assert "turn 1 [audio]" in drawn.stdout and "heard:  hello" in drawn.stdout
    assert "$489.15" in drawn.stdout and "empty_text" in drawn.stdout
    data = json.loads(cli("replay-session", "rp-1", "--json").stdout)
    assert [t["input_kind"] for t in data["turns"]] == ["audio", "text", "text", "text", "text"]


def test_a_rerun_on_the_same_build_changes_nothing(env):
    record(env, "rp-2", LOAN, audio_first=True)
    result = cli("replay-session", "rp-2", "--rerun", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["regressions"] == 0
    assert [t["replayable"] for t in data["turns"]] == [True, True, True, True, False]
    assert data["rerun_session_id"].startswith("rr-")


def test_a_rerun_on_a_changed_build_exits_1_and_names_the_stages(env, monkeypatch):
    record(env, "rp-3", LOAN)
    # Today's build hears things differently: the rules now treat every yes as unclear.
    monkeypatch.setattr("orchestrator.dialog.rules.is_yes", lambda text: False)
    result = cli("replay-session", "rp-3", "--rerun", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    changed = {d["stage"] for t in data["turns"] for d in t["differences"]}
    assert {"reply", "figures"} <= changed
    human = cli("replay-session", "rp-3", "--rerun")
    assert "turn 3: CHANGED" in human.stdout and "figures" in human.stdout


def test_replaying_an_unknown_or_hostile_session_exits_2(env):
    assert cli("replay-session", "never-ran").exit_code == 2
    assert cli("replay-session", "a/../../b").exit_code == 2


# -- monitor-session -------------------------------------------------------------------------------


def test_monitor_prints_what_happened_so_far(env):
    record(env, "mon-1", LOAN)
    result = cli("monitor-session", "mon-1", "--json")
    assert result.exit_code == 0
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert types.count("turn_started") == 4 and types[-1] == "turn_ended"


def test_monitor_follow_stops_when_the_session_ends_or_goes_idle(env):
    record(env, "mon-2", ["hello", "goodbye"])
    ended = cli("monitor-session", "mon-2", "--follow")
    assert ended.exit_code == 0 and "session mon-2 ended" in ended.stdout
    record(env, "mon-3", ["hello"])
    idle = cli("monitor-session", "mon-3", "--follow", "--idle-timeout", "0.5")
    assert idle.exit_code == 0 and "greeting" in idle.stdout


def test_monitor_refuses_unknown_and_hostile_ids(env):
    assert cli("monitor-session", "nobody").exit_code == 2
    assert cli("monitor-session", "../../etc/passwd").exit_code == 2


# -- save as scenario and the browser's replay view -------------------------------------------------


def test_a_session_saved_as_a_scenario_replays_green(env, tmp_path):
    record(env, "rec-1", LOAN, audio_first=True)
    out = tmp_path / "recorded"
    result = cli("sessions", "to-scenario", "rec-1", "--out", str(out), "--name", "my loan call", "--json")
    assert result.exit_code == 0, result.output
    path = out / "my-loan-call.yaml"
    assert json.loads(result.stdout)["path"] == str(path)
    assert (out / "rec-1-t0001-caller.wav").exists()
    from orchestrator.scenarios import load_scenario, run_scenario

    loaded = load_scenario(path)
    assert loaded.scenario.turns[0].audio == "rec-1-t0001-caller.wav"
    assert str(loaded.scenario.turns[-1].expect.figures["payment"].value) == "489.15"

    async def play():
        pipeline = make_pipeline(env)
        try:
            return await run_scenario(loaded, pipeline)
        finally:
            pipeline.store.close()

    run = asyncio.run(play())
    assert run.passed, run.failures()


def test_saving_an_unknown_session_is_an_error(env, tmp_path):
    out = tmp_path / "out"
    assert cli("sessions", "to-scenario", "ghost", "--out", str(out)).exit_code == 2
    assert not out.exists()


def test_the_replay_view_redraws_every_turn(env):
    from orchestrator.errors import SessionNotFoundError
    from orchestrator.ui.replay_view import replay_views

    record(env, "view-1", LOAN, audio_first=True)
    views = replay_views(env, "view-1")
    assert [v.turn for v in views] == [1, 2, 3, 4, 5]
    assert views[0].caller == "🎙️ hello"
    assert [s.name.split(" - ")[0] for s in views[0].steps] == ["Audio", "Speech-to-text", "Dialog", "Text-to-speech"]
    assert "$489.15" in (views[3].reply or "")
    assert views[4].reply is None and "empty" in (views[4].error or "")
    with pytest.raises(SessionNotFoundError):
        replay_views(env, "nobody")

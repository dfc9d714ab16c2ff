"""monitor-session: tailing a JSONL log or a Redis Stream, and knowing when a call has ended."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.cli.monitor import follow_jsonl
from orchestrator.events import DialogReply, ErrorEvent, Event, TurnEnded, TurnStarted
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore


def a_turn(sid: str, turn: int, text: str, state: str) -> list[Event]:
    return [
        TurnStarted(session_id=sid, turn=turn, input_kind="text", backends={}),
        DialogReply(session_id=sid, turn=turn, user_text=text, text="ok", intent="x", slots={}, state=state,
                    ms=1.0, backend="rules"),
        TurnEnded(session_id=sid, turn=turn, ok=True, total_ms=2.0, timings_ms={}),
    ]


def append(path: Path, events: list[Event]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for event in events:
            fh.write(event.model_dump_json() + "\n")


def monitor(home: Path, *args: str, store: str = "sqlite"):
    env = {"VOICEBOT_HOME": str(home), "VOICEBOT_STORE": store}
    return CliRunner().invoke(app, ["monitor-session", *args], env=env)


def drain(source: Iterator[Event | None]) -> list[Event]:
    """The events up to the next caught-up marker."""
    got = []
    for event in source:
        if event is None:
            return got
        got.append(event)
    return got


def test_a_torn_last_line_is_read_once_it_is_finished(tmp_path):
    path = tmp_path / "t-1.jsonl"
    line = a_turn("t-1", 1, "hi", "start")[0].model_dump_json()
    source = follow_jsonl(path, poll_s=0.0)
    assert drain(source) == []  # no file yet: caught up with nothing
    path.write_text(line[:25])
    assert drain(source) == []
    with path.open("a") as fh:
        fh.write(line[25:] + "\n")
    assert [e.type for e in drain(source)] == ["turn_started"]


def test_a_log_that_is_purged_and_begun_again_is_read_from_the_start(tmp_path):
    path = tmp_path / "t-2.jsonl"
    append(path, a_turn("t-2", 1, "one", "start"))
    source = follow_jsonl(path, poll_s=0.0)
    assert len(drain(source)) == 3
    path.unlink()
    append(path, a_turn("t-2", 1, "again", "start")[:1])
    assert [e.turn for e in drain(source)] == [1]


def test_follow_does_not_stop_at_a_goodbye_that_later_turns_followed(tmp_path):
    log = tmp_path / "logs" / "t-3.jsonl"
    append(log, a_turn("t-3", 1, "bye", "ended") + a_turn("t-3", 2, "actually, one more thing", "start"))
    result = monitor(tmp_path, "t-3", "--follow", "--idle-timeout", "0.3", "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["turn"] for line in result.stdout.splitlines()] == [1, 1, 1, 2, 2, 2]


def test_follow_sees_turns_written_while_it_runs_and_stops_when_the_call_ends(tmp_path):
    log = tmp_path / "logs" / "t-4.jsonl"
    append(log, a_turn("t-4", 1, "hello", "start"))

    def caller() -> None:
        time.sleep(0.3)
        append(log, a_turn("t-4", 2, "a loan please", "collecting"))
        time.sleep(0.3)
        append(log, a_turn("t-4", 3, "goodbye", "ended"))

    writer = threading.Thread(target=caller)
    writer.start()
    try:
        result = monitor(tmp_path, "t-4", "--follow", "--idle-timeout", "60")
    finally:
        writer.join()
    assert result.exit_code == 0, result.output
    assert "state collecting" in result.stdout  # turn 2 was written after the monitor started
    assert result.stdout.count("turn ended") == 3
    assert result.stdout.rstrip().endswith("session t-4 ended")


def test_a_failed_turn_after_the_goodbye_leaves_the_call_ended(tmp_path):
    failed = [
        TurnStarted(session_id="t-9", turn=2, input_kind="text", backends={}),
        ErrorEvent(session_id="t-9", turn=2, stage="input", category="empty_text", message="m", retryable=False),
        TurnEnded(session_id="t-9", turn=2, ok=False, total_ms=1.0, timings_ms={}),
    ]
    append(tmp_path / "logs" / "t-9.jsonl", a_turn("t-9", 1, "bye", "ended") + failed)
    result = monitor(tmp_path, "t-9", "--follow")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("session t-9 ended")


def test_a_turn_still_running_after_the_goodbye_is_waited_for(tmp_path):
    log = tmp_path / "logs" / "t-10.jsonl"
    second = a_turn("t-10", 2, "wait", "ended")
    append(log, a_turn("t-10", 1, "bye", "ended") + second[:1])
    writer = threading.Timer(0.5, append, (log, second[1:]))
    writer.start()
    try:
        result = monitor(tmp_path, "t-10", "--follow", "--idle-timeout", "60", "--json")
    finally:
        writer.join()
    assert result.exit_code == 0
    assert [json.loads(line)["turn"] for line in result.stdout.splitlines()] == [1, 1, 1, 2, 2, 2]


def test_follow_stops_at_a_handoff_too(tmp_path):
    append(tmp_path / "logs" / "t-5.jsonl", a_turn("t-5", 1, "a person please", "handoff"))
    result = monitor(tmp_path, "t-5", "--follow")
    assert result.exit_code == 0 and "session t-5 handoff" in result.stdout


def test_without_follow_it_prints_what_happened_and_returns(tmp_path):
    append(tmp_path / "logs" / "t-6.jsonl", a_turn("t-6", 1, "hello", "start"))
    result = monitor(tmp_path, "t-6", "--json")
    assert result.exit_code == 0
    assert [json.loads(line)["type"] for line in result.stdout.splitlines()] == [
        "turn_started", "dialog_reply", "turn_ended"
    ]


@pytest.mark.parametrize("bad", ["../etc", "a/b", "x" * 65, "ünï", "-x", "a\nb", " "])
def test_hostile_ids_exit_2_even_with_follow_and_wait(tmp_path, bad):
    result = monitor(tmp_path, "--follow", "--wait", "--json", "--", bad)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["category"] == "invalid_session_id"


def test_an_unreachable_redis_store_exits_2(tmp_path):
    result = monitor(tmp_path, "t-7", store="redis://127.0.0.1:1/0")
    assert result.exit_code == 2 and "cannot reach the Redis store" in result.output


def test_with_a_redis_store_another_machine_reads_the_stream(tmp_path, redis_url):
    store = RedisSessionStore(redis_url)
    store.client.flushdb()
    sink = RedisEventStream(store.client)
    for event in a_turn("t-8", 1, "hello", "start") + a_turn("t-8", 2, "bye", "ended"):
        sink(event)
    store.close()
    # No local log at all: this machine only shares the Redis server with the caller's.
    printed = monitor(tmp_path, "t-8", "--json", store=redis_url)
    assert printed.exit_code == 0, printed.output
    assert len(printed.stdout.splitlines()) == 6
    followed = monitor(tmp_path, "t-8", "--follow", "--wait", store=redis_url)
    assert followed.exit_code == 0, followed.output
    assert followed.stdout.rstrip().endswith("session t-8 ended")

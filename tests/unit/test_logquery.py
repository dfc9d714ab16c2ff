"""logquery: the stage and level of every event, filters, cross-session time order, the pandas summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.cli.render import event_line
from orchestrator.errors import InvalidSessionIdError
from orchestrator.events import (
    AudioReceived,
    CacheLookup,
    DialogReply,
    ErrorEvent,
    Event,
    LLMCall,
    Transcript,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)
from orchestrator.logquery import (
    LEVELS,
    STAGES,
    LogFilter,
    LogQueryError,
    event_level,
    event_ms,
    event_stage,
    iter_events,
    parse_since,
    summarize,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def one_of_each(sid: str = "q-1", turn: int = 1, start: float = 0.0) -> list[Event]:
    """A full turn with every event type, one second apart."""
    base = {"session_id": sid, "turn": turn}
    made: list[Event] = [
        TurnStarted(**base, input_kind="audio", backends={}),
        AudioReceived(**base, duration_s=1.0, sample_rate=16000, channels=1, speech_s=0.8, ms=3.0),
        Transcript(**base, text="hello", confidence=0.9, ms=120.0, backend="fake"),
        CacheLookup(**base, cache_hit=False, reason="miss", similarity=0.4, threshold=0.78, lookup_ms=11.0),
        LLMCall(**base, backend="mistral", model="m", round=0, attempt=1, ok=True, ms=300.0),
        DialogReply(**base, user_text="hello", text="Hi.", intent="greeting", slots={}, state="start", ms=2.0,
                    backend="rules"),
        TTSChunk(**base, index=0, text="Hi.", ms=40.0, audio_s=0.5),
        TTSAudio(**base, first_audio_ms=40.0, total_ms=45.0, audio_s=0.5, chunks=1, sample_rate=22050, backend="f"),
        ErrorEvent(**base, stage="stt", category="backend", message="boom", retryable=False),
        TurnEnded(**base, ok=False, total_ms=200.0, timings_ms={}),
    ]
    return [e.model_copy(update={"wall_time": at(start + i)}) for i, e in enumerate(made)]


def write_log(logs: Path, events: list[Event]) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    for event in events:
        with (logs / f"{event.session_id}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(event.model_dump_json() + "\n")


def test_every_event_has_a_known_stage_and_level():
    stages = {e.type: event_stage(e) for e in one_of_each()}
    assert stages == {
        "turn_started": "turn", "audio_received": "audio", "transcript": "stt", "dialog_reply": "dialog",
        "cache_lookup": "dialog", "llm_call": "dialog",
        "tts_chunk": "tts", "tts_audio": "tts", "error": "stt", "turn_ended": "turn",
    }
    assert set(stages.values()) <= set(STAGES)
    levels = {e.type: event_level(e) for e in one_of_each()}
    assert levels["error"] == "ERROR" and levels["turn_ended"] == "WARNING" and levels["tts_chunk"] == "DEBUG"
    assert {levels[k] for k in ("turn_started", "audio_received", "transcript", "dialog_reply", "tts_audio",
                                "cache_lookup", "llm_call")} == {
        "INFO"
    }
    assert set(levels.values()) <= set(LEVELS)


def test_an_error_in_any_pipeline_stage_can_be_filtered_by_that_stage(tmp_path):
    for stage in ("input", "audio", "stt", "dialog", "tts", "pipeline"):
        assert stage in STAGES
        event = ErrorEvent(session_id="q-err", turn=1, stage=stage, category="c", message="m", retryable=False)
        assert LogFilter(stage=stage).keeps(event)
        assert not LogFilter(stage="turn").keeps(event)


def test_the_ms_of_an_event_is_its_stage_duration():
    ms = {e.type: event_ms(e) for e in one_of_each()}
    assert ms == {"turn_started": None, "audio_received": 3.0, "transcript": 120.0, "dialog_reply": 2.0,
                  "cache_lookup": 11.0, "llm_call": 300.0,
                  "tts_chunk": None, "tts_audio": 45.0, "error": None, "turn_ended": 200.0}


def test_an_llm_failure_the_rules_answer_stood_in_for_is_a_warning_not_an_error():
    recovered = ErrorEvent(session_id="q-1", turn=1, stage="dialog", category="llm_http_500", message="m",
                           retryable=True, recovered=True)
    assert event_level(recovered) == "WARNING"
    assert "(recovered)" in event_line(recovered)


def test_the_level_filter_is_a_minimum():
    events = one_of_each()
    kept = [e.type for e in events if LogFilter(level="WARNING").keeps(e)]
    assert kept == ["error", "turn_ended"]
    assert len([e for e in events if LogFilter(level="DEBUG").keeps(e)]) == len(events)
    assert "tts_chunk" not in [e.type for e in events if LogFilter(level="INFO").keeps(e)]


def test_sessions_are_merged_in_time_order(tmp_path):
    # q-b's turn starts half a second after q-a's, so the two logs interleave.
    write_log(tmp_path, one_of_each("q-a", start=0.0))
    write_log(tmp_path, one_of_each("q-b", start=0.5))
    got = list(iter_events(tmp_path, LogFilter()))
    assert len(got) == 2 * len(one_of_each())
    assert [e.wall_time for e in got] == sorted(e.wall_time for e in got)
    assert [e.session_id for e in got[:4]] == ["q-a", "q-b", "q-a", "q-b"]


def test_the_since_filter_reads_naive_times_as_utc(tmp_path):
    write_log(tmp_path, one_of_each("q-s"))
    naive = (T0 + timedelta(seconds=len(one_of_each()) - 2.5)).replace(tzinfo=None).isoformat()
    kept = list(iter_events(tmp_path, LogFilter(since=parse_since(naive))))
    assert [e.type for e in kept] == ["error", "turn_ended"]
    assert parse_since("1.5h", T0) == T0 - timedelta(minutes=90)
    assert parse_since("2w", T0) == T0 - timedelta(days=14)


@pytest.mark.parametrize("bad", ["", "ten minutes", "10y", "-5m", "2026-13-01"])
def test_a_bad_since_is_a_usage_error(bad):
    with pytest.raises(LogQueryError, match="bad time"):
        parse_since(bad)


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65, "ünï"])
def test_a_hostile_session_filter_is_refused(tmp_path, bad):
    with pytest.raises(InvalidSessionIdError):
        list(iter_events(tmp_path, LogFilter(session=bad)))


def test_files_that_are_not_session_logs_are_ignored(tmp_path):
    write_log(tmp_path, one_of_each("q-ok"))
    (tmp_path / "not a session.jsonl").write_text(one_of_each("q-ok")[0].model_dump_json() + "\n")
    (tmp_path / "q-ok.txt").write_text("x")
    assert {e.session_id for e in iter_events(tmp_path, LogFilter())} == {"q-ok"}


def test_the_summary_gives_counts_errors_and_percentiles_per_stage():
    events: list[Event] = []
    for turn, ms in enumerate([10.0, 20.0, 30.0, 40.0], start=1):
        events.append(DialogReply(session_id=f"q-{turn % 2}", turn=turn, user_text="u", text="t", intent="i",
                                  slots={}, state="s", ms=ms, backend="rules"))
    events.append(ErrorEvent(session_id="q-0", turn=5, stage="dialog", category="c", message="m", retryable=False))
    events.append(TTSChunk(session_id="q-0", turn=5, index=0, text="t", ms=99.0, audio_s=1.0))
    result = summarize(events)
    # Linear interpolation between order statistics: p50 of 10..40 is 25, p95 is 38.5.
    assert result == {
        "events": 5,  # TTS pieces are counted in their turn's tts_audio, not on their own
        "sessions": 2,
        "stages": {"dialog": {"count": 5, "errors": 1, "p50_ms": 25.0, "p95_ms": 38.5}},
    }


def test_the_summary_of_events_without_durations_has_no_percentiles():
    result = summarize([TurnStarted(session_id="q-n", turn=1, input_kind="text", backends={})])
    assert result["stages"]["turn"] == {"count": 1, "errors": 0, "p50_ms": None, "p95_ms": None}


def test_the_cli_prints_zero_milliseconds_as_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEBOT_HOME", str(tmp_path))
    write_log(tmp_path / "logs", [DialogReply(session_id="q-z", turn=1, user_text="u", text="t", intent="i",
                                              slots={}, state="s", ms=0.0, backend="rules")])
    result = CliRunner().invoke(app, ["orchestrator-log", "--summary"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "dialog" in line)
    assert "0.0" in row and "-" not in row


def test_the_cli_stage_filter_takes_input_errors_and_any_case(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEBOT_HOME", str(tmp_path))
    write_log(tmp_path / "logs", [
        ErrorEvent(session_id="q-i", turn=1, stage="input", category="empty_text", message="m", retryable=False),
        TurnEnded(session_id="q-i", turn=1, ok=False, total_ms=1.0, timings_ms={}),
    ])
    result = CliRunner().invoke(app, ["orchestrator-log", "--stage", "INPUT", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["category"] for line in result.stdout.splitlines()] == ["empty_text"]


def test_a_line_torn_by_a_killed_writer_does_not_swallow_the_next_event(tmp_path):
    from orchestrator.trace import JsonlSink, read_jsonl

    first, second = one_of_each("q-t")[:2]
    path = tmp_path / "q-t.jsonl"
    path.write_text(first.model_dump_json()[:30])  # a process died in the middle of this line
    sink = JsonlSink(tmp_path)
    try:
        sink(second)
        sink(first)
    finally:
        sink.close()
    assert [e.type for e in read_jsonl(path)] == ["audio_received", "turn_started"]
    assert path.read_text().count("\n") == 3  # the torn fragment keeps a line of its own


def test_a_session_without_a_log_is_not_found(tmp_path, monkeypatch):
    from orchestrator.errors import SessionNotFoundError

    with pytest.raises(SessionNotFoundError, match="no log for session 'q-none'"):
        list(iter_events(tmp_path, LogFilter(session="q-none")))
    monkeypatch.setenv("VOICEBOT_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["orchestrator-log", "--session", "q-none", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["category"] == "session_not_found"

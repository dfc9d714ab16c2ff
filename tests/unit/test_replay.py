"""replay: reading a recorded session back, the latency rule, and re-runs that use the kept audio."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.errors import InvalidSessionIdError, SessionNotFoundError
from orchestrator.events import AudioReceived
from orchestrator.replay import latency_regressions, recorded_turns, rerun
from orchestrator.trace import read_jsonl
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes


@pytest.fixture
def env(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {"VOICEBOT_HOME": str(fake_settings.home), "VOICEBOT_STT": "fake", "VOICEBOT_TTS": "fake",
                       "VOICEBOT_INTENT_CLASSIFIER": "keywords", "VOICEBOT_FAKE_TRANSCRIPTS": "hello"}.items():
        monkeypatch.setenv(key, value)
    return fake_settings


def record(settings: Settings, sid: str, *, audio: bytes | None = None, texts: tuple[str, ...] = ()) -> None:
    async def go() -> None:
        pipeline = make_pipeline(settings)
        try:
            if audio is not None:
                await pipeline.run_turn(sid, audio=audio)
            for text in texts:
                await pipeline.run_turn(sid, text=text)
        finally:
            pipeline.store.close()

    asyncio.run(go())


def rewrite_log(settings: Settings, sid: str, change: dict[str, object]) -> None:
    """Edit every event of one type in a session's log, as if an older build had written it."""
    path = settings.logs_dir / f"{sid}.jsonl"
    lines = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        for key, value in change.items():
            kind, field = key.split(".")
            if data["type"] == kind:
                data[field] = value
        lines.append(json.dumps(data))
    path.write_text("\n".join(lines) + "\n")


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_latency_is_a_regression_only_past_tolerance_plus_slack():
    before = {"stt": 100.0, "dialog": 2.0, "total": 300.0}
    # stt may reach 100 * 1.5 + 100 = 250 ms.
    assert latency_regressions(before, {"stt": 250.0}, 0.5, 100.0) == []
    assert latency_regressions(before, {"stt": 250.2}, 0.5, 100.0) == [
        {"stage": "latency", "timing": "stt", "before": 100.0, "after": 250.2, "allowed": 250.0}
    ]
    grown = latency_regressions(before, {"stt": 101.0, "dialog": 3.0, "total": 299.0}, 0.0, 0.0)
    assert [d["timing"] for d in grown] == ["dialog", "stt"]
    assert latency_regressions(before, {"tts": 9999.0}, 0.0, 0.0) == []  # a stage only one side has is not compared


def test_recorded_turns_read_inputs_outputs_and_timings(env):
    record(env, "rt-1", audio=wav_bytes(tone(1.0)), texts=("I want a loan of 25,000 dollars",))
    turns = recorded_turns(env, "rt-1")
    assert [(t.turn, t.input_kind) for t in turns] == [(1, "audio"), (2, "text")]
    assert turns[0].transcript == "hello" and turns[0].recording == "rt-1-t0001-caller.wav"
    assert turns[1].user_text == "I want a loan of 25,000 dollars" and turns[1].intent == "loan_quote"
    assert turns[1].slots and turns[1].ok is True and "total" in turns[1].timings_ms
    json.dumps([t.as_dict() for t in turns])


def test_a_torn_last_line_leaves_the_earlier_turns_readable(env):
    record(env, "rt-2", texts=("hello", "goodbye"))
    log = env.logs_dir / "rt-2.jsonl"
    log.write_text(log.read_text()[:-40])  # the process died while writing the last line
    turns = recorded_turns(env, "rt-2")
    assert [t.turn for t in turns] == [1, 2]
    assert turns[0].ok is True and turns[1].ok is None  # turn 2 never got its turn_ended


@pytest.mark.parametrize("bad", ["../logs/x", "a/b", "", "x" * 65, "ünï", "a b"])
def test_hostile_ids_are_refused_before_any_file_is_read(env, bad):
    with pytest.raises(InvalidSessionIdError):
        recorded_turns(env, bad)


def test_an_unknown_session_is_not_found(env):
    with pytest.raises(SessionNotFoundError, match="no recorded turns"):
        recorded_turns(env, "never-was")


def test_the_rerun_feeds_the_kept_audio_not_a_path_from_the_log(env):
    record(env, "rt-3", audio=wav_bytes(tone(1.3)))
    # A log that names another file must not steer the rerun anywhere else.
    rewrite_log(env, "rt-3", {"audio_received.recording": "../../../etc/passwd"})
    pipeline = make_pipeline(env)
    try:
        fresh, diffs = asyncio.run(rerun(pipeline, recorded_turns(env, "rt-3"), "rt-3"))
    finally:
        pipeline.store.close()
    assert [d.replayable for d in diffs] == [True]
    heard = [e for e in read_jsonl(env.logs_dir / f"{fresh}.jsonl") if isinstance(e, AudioReceived)]
    assert heard[0].duration_s == pytest.approx(1.3, abs=0.01) and heard[0].sample_rate == 16000


def test_a_turn_whose_audio_was_deleted_is_replayed_from_its_transcript(env):
    record(env, "rt-4", audio=wav_bytes(tone(1.0)), texts=("hello",))
    (env.audio_dir / "rt-4-t0001-caller.wav").unlink()
    result = cli("replay-session", "rt-4", "--rerun", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    turns = data["turns"]
    assert turns[0]["replayable"] is True and "transcript as text" in turns[0]["note"]
    assert turns[1]["replayable"] is True and data["regressions"] == 0  # the dialog stayed on the recorded path
    kinds = [e.type for e in read_jsonl(env.logs_dir / f"{data['rerun_session_id']}.jsonl") if e.turn == 1]
    assert "audio_received" not in kinds and "dialog_reply" in kinds


def test_audio_turns_are_not_replayable_when_recording_was_off(env, monkeypatch):
    monkeypatch.setenv("VOICEBOT_RECORD_AUDIO", "false")
    record(env.model_copy(update={"record_audio": False}), "rt-5", audio=wav_bytes(tone(1.0)))
    assert not list(env.audio_dir.glob("rt-5-*"))
    assert recorded_turns(env, "rt-5")[0].recording is None
    rewrite_log(env, "rt-5", {"dialog_reply.user_text": ""})  # and no transcript to fall back on
    data = json.loads(cli("replay-session", "rt-5", "--rerun", "--json").stdout)
    assert data["turns"][0]["replayable"] is False and "no transcript" in data["turns"][0]["note"]


def test_a_slower_build_fails_the_rerun_and_a_generous_tolerance_passes_it(env):
    record(env, "rt-6", texts=("hello", "I want a loan of 25,000 dollars"))
    # As if every stage had taken no time at all in the recording.
    rewrite_log(env, "rt-6", {"turn_ended.timings_ms": {"dialog": 0.0, "tts": 0.0, "total": 0.0}})
    strict = cli("replay-session", "rt-6", "--rerun", "--latency-tolerance", "0", "--latency-slack-ms", "0", "--json")
    assert strict.exit_code == 1, strict.output
    latency = [d for t in json.loads(strict.stdout)["turns"] for d in t["differences"]]
    assert {d["stage"] for d in latency} == {"latency"} and "total" in {d["timing"] for d in latency}
    human = cli("replay-session", "rt-6", "--rerun", "--latency-tolerance", "0", "--latency-slack-ms", "0")
    assert "latency total: 0.0 ->" in human.stdout and "(allowed 0.0)" in human.stdout
    # As if the recording had been made on a very slow machine: today's build is faster, which is fine.
    rewrite_log(env, "rt-6", {"turn_ended.timings_ms": {"dialog": 1e9, "tts": 1e9, "total": 1e9}})
    assert cli("replay-session", "rt-6", "--rerun").exit_code == 0


@pytest.mark.parametrize("args", [["--latency-tolerance", "-1"], ["--latency-slack-ms", "-5"],
                                  ["--latency-tolerance", "fast"]])
def test_bad_latency_options_exit_2(env, args):
    record(env, "rt-7", texts=("hello",))
    assert cli("replay-session", "rt-7", "--rerun", *args).exit_code == 2


def test_the_rerun_leaves_the_recorded_session_untouched(env, tmp_path: Path):
    record(env, "rt-8", texts=("hello", "goodbye"))
    before = (env.logs_dir / "rt-8.jsonl").read_bytes()
    data = json.loads(cli("replay-session", "rt-8", "--rerun", "--json").stdout)
    assert data["regressions"] == 0
    assert (env.logs_dir / "rt-8.jsonl").read_bytes() == before
    assert (env.logs_dir / f"{data['rerun_session_id']}.jsonl").exists()

"""orchestrator.cli: `voicebot turn` and `voicebot --help` in-process through Typer's CliRunner."""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.dialog.phrases import GREETING
from tests.unit.helpers import silence, tone, wav_bytes

PAYLOAD_KEYS = {"session_id", "transcript", "reply", "intent", "slots", "timings_ms", "audio_path"}

Run = Callable[..., Result]


@pytest.fixture
def run(home: Path) -> Run:
    """Invoke the CLI with the fake backends and an isolated VOICEBOT_HOME; env overrides win."""
    runner = CliRunner()
    base = {
        "VOICEBOT_STT": "fake",
        "VOICEBOT_TTS": "fake",
        "VOICEBOT_LLM": None,  # unset: the rules dialog from pyproject / defaults
        "VOICEBOT_INTENT_CLASSIFIER": "keywords",  # MiniLM is tested in tests/integration
        "VOICEBOT_HOME": str(home),
        "VOICEBOT_FAKE_TRANSCRIPTS": None,
    }

    def invoke(*args: str, **env: str | None) -> Result:
        return runner.invoke(app, list(args), env={**base, **env})

    return invoke


def flat(text: str) -> str:
    """Rich wraps long lines; compare messages with whitespace collapsed."""
    return " ".join(text.split())


def assert_clean_usage_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = flat(result.stderr)
    assert message.startswith("error:")
    for needle in needles:
        assert needle in message


@pytest.fixture
def tone_wav(tmp_path: Path) -> Path:
    path = tmp_path / "hello.wav"
    path.write_bytes(wav_bytes(np.concatenate([silence(0.3), tone(1.0, amp=0.3), silence(0.3)])))
    return path


# -- help ----------------------------------------------------------------------------------------------


def test_help_exits_zero_and_lists_turn_and_bench(run):
    result = run("--help")

    assert result.exit_code == 0
    assert "turn" in result.stdout and "bench" in result.stdout


def test_turn_help_documents_text_audio_session_and_json(run):
    result = run("turn", "--help")

    assert result.exit_code == 0
    for option in ("--text", "--audio", "--session", "--json", "--out"):
        assert option in result.stdout


# -- successful turns ------------------------------------------------------------------------------------


def test_a_json_text_turn_prints_one_object_and_writes_the_reply_wav(run):
    result = run("turn", "--text", "hello", "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # exactly one JSON document
    assert set(payload) >= PAYLOAD_KEYS
    assert payload["reply"] == f"{AI_DISCLOSURE} {GREETING}"
    assert payload["intent"] == "greeting"
    assert payload["transcript"] is None
    assert payload["slots"] == {}
    assert {"dialog", "tts", "tts_first_audio", "total"} <= set(payload["timings_ms"])
    with wave.open(payload["audio_path"], "rb") as wav:
        assert wav.getnframes() > 0
        assert wav.getframerate() == 16_000


def test_the_reply_wav_goes_under_voicebot_home_named_after_session_and_turn(run, home: Path):
    result = run("turn", "--text", "hello", "--session", "abc", "--json")

    payload = json.loads(result.stdout)
    assert Path(payload["audio_path"]) == (home / "audio" / "abc-turn1.wav").resolve()


def test_out_writes_the_reply_where_asked(run, tmp_path: Path):
    target = tmp_path / "out" / "reply.wav"

    result = run("turn", "--text", "hello", "--out", str(target), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["audio_path"] == str(target)
    assert target.read_bytes()[:4] == b"RIFF"


def test_repeating_the_session_continues_the_conversation(run):
    first = run("turn", "--text", "I want a loan of 25,000 dollars", "--session", "call-7", "--json")
    second = run("turn", "--text", "over 5 years at 6.5 percent", "--session", "call-7", "--json")
    third = run("turn", "--text", "yes", "--session", "call-7", "--json")

    assert first.exit_code == 0 and second.exit_code == 0 and third.exit_code == 0, third.output
    one, two, three = (json.loads(r.stdout) for r in (first, second, third))
    assert (one["session_id"], one["turn"]) == ("call-7", 1)
    assert (two["session_id"], two["turn"]) == ("call-7", 2)
    assert two["slots"] == {"principal": "25000", "rate_percent": "6.5", "term_months": 60}
    assert (two["intent"], two["state"]) == ("loan_quote", "confirming")
    assert three["figures"]["payment"] == "489.15"


def test_without_a_session_each_call_starts_a_new_one(run):
    a = json.loads(run("turn", "--text", "hello", "--json").stdout)
    b = json.loads(run("turn", "--text", "hello", "--json").stdout)

    assert a["session_id"] != b["session_id"]
    assert a["turn"] == b["turn"] == 1


def test_an_audio_turn_on_a_tone_wav_uses_the_scripted_transcript(run, tone_wav: Path):
    result = run("turn", "--audio", str(tone_wav), "--json", VOICEBOT_FAKE_TRANSCRIPTS="hello")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["transcript"] == "hello"
    assert payload["intent"] == "greeting"
    assert {"audio", "stt", "dialog", "tts", "total"} <= set(payload["timings_ms"])
    assert Path(payload["audio_path"]).is_file()


def test_the_human_output_shows_session_reply_and_timings(run):
    result = run("turn", "--text", "hello", "--session", "human-1")

    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "session human-1 turn 1" in out
    assert flat(GREETING) in out
    assert "timings" in out and "total" in out


# -- usage and input errors (exit 2, no traceback) ---------------------------------------------------------


def test_neither_text_nor_audio_is_a_usage_error(run):
    assert_clean_usage_error(run("turn"), "exactly one of --text or --audio")


def test_both_text_and_audio_is_a_usage_error(run, tone_wav: Path):
    assert_clean_usage_error(run("turn", "--text", "hi", "--audio", str(tone_wav)), "exactly one")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_an_input_error(run, text):
    assert_clean_usage_error(run("turn", "--text", text), "empty")


def test_a_missing_audio_file_is_an_input_error(run, tmp_path: Path):
    assert_clean_usage_error(run("turn", "--audio", str(tmp_path / "nope.wav")), "not found")


def test_an_empty_audio_file_is_an_input_error(run, tmp_path: Path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")

    assert_clean_usage_error(run("turn", "--audio", str(path)), "empty")


def test_a_silent_wav_is_an_input_error(run, tmp_path: Path):
    path = tmp_path / "silent.wav"
    path.write_bytes(wav_bytes(silence(2.0)))

    assert_clean_usage_error(run("turn", "--audio", str(path)), "no speech heard")


def test_a_corrupt_wav_is_an_input_error(run, tmp_path: Path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF" + np.random.default_rng(1).bytes(4_000))

    assert_clean_usage_error(run("turn", "--audio", str(path)))


def test_a_text_file_renamed_to_wav_is_an_input_error(run, tmp_path: Path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio, just words\n" * 50)

    assert_clean_usage_error(run("turn", "--audio", str(path)), "not audio that can be decoded")


def test_a_ten_minute_wav_is_an_input_error(run, tmp_path: Path):
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(silence(600.0, 8_000), 8_000))

    assert_clean_usage_error(run("turn", "--audio", str(path)), "limit is 60 s")


def test_a_hostile_session_id_is_an_input_error_and_writes_nothing(run, home: Path):
    result = run("turn", "--text", "hello", "--session", "../../etc")

    assert_clean_usage_error(result, "invalid session id")
    logs = home / "logs"
    assert not logs.exists() or not any(logs.iterdir())
    assert not (home / "etc").exists() and not (home.parent / "etc").exists()


def test_an_unknown_stt_backend_is_a_config_error_naming_voicebot_stt(run):
    result = run("turn", "--text", "hello", VOICEBOT_STT="nope")

    assert_clean_usage_error(result, "VOICEBOT_STT", "'nope'", "whisper-base", "fake")


def test_an_unknown_backend_given_as_an_option_is_a_config_error(run):
    assert_clean_usage_error(run("turn", "--text", "hello", "--tts", "nope"), "VOICEBOT_TTS")


def test_out_pointing_at_a_directory_is_a_usage_error(run, tmp_path: Path):
    result = run("turn", "--text", "hello", "--out", str(tmp_path))

    assert_clean_usage_error(result)


# -- --json errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "category"),
    [
        (["turn", "--json"], "usage"),
        (["turn", "--text", " ", "--json"], "empty_text"),
        (["turn", "--text", "hi", "--session", "../x", "--json"], "invalid_session_id"),
    ],
)
def test_json_mode_reports_errors_as_one_json_object(run, args, category):
    result = run(*args)

    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert set(payload) == {"error"}
    assert payload["error"]["category"] == category
    assert payload["error"]["exit_code"] == 2
    assert payload["error"]["message"]


def test_json_mode_reports_an_unknown_backend_as_json(run):
    result = run("turn", "--text", "hi", "--json", VOICEBOT_STT="nope")

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["category"] == "unknown_backend"
    assert "VOICEBOT_STT" in error["message"]


def test_json_mode_reports_a_corrupt_audio_file_as_json(run, tmp_path: Path):
    path = tmp_path / "bad.wav"
    path.write_text("hello")

    result = run("turn", "--audio", str(path), "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["category"] == "corrupt_audio"


def test_an_invalid_setting_is_a_usage_error_without_a_traceback(run):
    result = run("turn", "--text", "hi", VOICEBOT_MAX_AUDIO_SECONDS="-1")

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "VOICEBOT_MAX_AUDIO_SECONDS" in result.output


def test_json_mode_reports_an_invalid_setting_as_json(run):
    result = run("turn", "--text", "hi", "--json", VOICEBOT_MAX_AUDIO_SECONDS="-1")

    assert result.exit_code == 2
    assert "error" in json.loads(result.stdout)

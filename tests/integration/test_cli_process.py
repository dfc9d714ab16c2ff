"""The installed ``voicebot`` command as a real process on the real default stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from orchestrator.audio import encode_wav
from orchestrator.textmetrics import wer
from tests.conftest import REALDATA

pytestmark = pytest.mark.models

VOICEBOT = Path(sys.executable).parent / "voicebot"


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "VOICEBOT_HOME": str(home), **env}
    for key in ("VOICEBOT_STT", "VOICEBOT_TTS", "VOICEBOT_LLM"):
        if key not in env:
            full_env.pop(key, None)
    return subprocess.run(
        [str(VOICEBOT), *args], capture_output=True, text=True, env=full_env, timeout=300, check=False
    )


def test_help_lists_every_command(cli_home):
    proc = run(cli_home, "--help")
    assert proc.returncode == 0
    for command in ("turn", "bench", "run-scenario", "eval-intents", "monitor-session", "orchestrator-log",
                    "replay-session", "sessions", "cache-manager", "adapter-control"):
        assert command in proc.stdout


def test_an_audio_turn_prints_the_transcript_reply_timings_and_a_wav(cli_home):
    proc = run(cli_home, "turn", "--audio", str(REALDATA / "audio" / "whisper_cpp__jfk.wav"), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    reference = (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    )
    assert wer(reference, payload["transcript"]) <= 0.10
    assert payload["intent"] == "out_of_scope"
    assert set(payload["timings_ms"]) >= {"audio", "stt", "dialog", "tts", "tts_first_audio", "total"}
    assert payload["voice_to_voice_ms"] > 0
    with wave.open(payload["audio_path"], "rb") as wav:
        assert wav.getnframes() > 0
        assert wav.getframerate() == 22_050


def test_the_same_session_id_continues_the_loan_conversation_across_processes(cli_home, tmp_path):
    first = run(cli_home, "turn", "--text", "I want to borrow 25,000 dollars", "--session", "loan-demo", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["slots"] == {"principal": "25000"}
    out = tmp_path / "reply.wav"
    second = run(cli_home, "turn", "--text", "over 5 years at 6.5 percent", "--session", "loan-demo", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["state"] == "confirming"
    third = run(cli_home, "turn", "--text", "yes", "--session", "loan-demo", "--out", str(out), "--json")
    assert third.returncode == 0, third.stderr
    payload = json.loads(third.stdout)
    assert payload["turn"] == 3
    assert "$489.15" in payload["reply"] and "6.50%" in payload["reply"]
    assert payload["audio_path"] == str(out) and out.read_bytes()[:4] == b"RIFF"


def test_the_human_output_shows_reply_and_stage_timings(cli_home):
    proc = run(cli_home, "turn", "--text", "hello")
    assert proc.returncode == 0, proc.stderr
    assert "reply" in proc.stdout and "virtual assistant" in proc.stdout
    assert "dialog" in proc.stdout and "tts" in proc.stdout


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    path.write_bytes(encode_wav(samples.astype(np.float32), rate))
    return path


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, list[str]]:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    silent = _write_wav(tmp_path / "silent.wav", np.zeros(16_000 * 2), 16_000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(200))
    text = tmp_path / "notes.wav"
    text.write_text("this is a text file, not audio\n" * 20)
    long = _write_wav(tmp_path / "ten-minutes.wav", np.zeros(8_000 * 600), 8_000)
    return {
        "empty audio": ["--audio", str(empty)],
        "silent audio": ["--audio", str(silent)],
        "corrupt wav": ["--audio", str(corrupt)],
        "text renamed to wav": ["--audio", str(text)],
        "ten-minute file": ["--audio", str(long)],
        "empty text": ["--text", "   "],
        "hostile session id": ["--text", "hi", "--session", "../../etc/passwd"],
        "missing file": ["--audio", str(tmp_path / "nope.wav")],
    }


@pytest.mark.parametrize(
    "case",
    ["empty audio", "silent audio", "corrupt wav", "text renamed to wav", "ten-minute file",
     "empty text", "hostile session id", "missing file"],
)
def test_bad_input_exits_2_with_a_clear_message_and_no_traceback(cli_home, bad_inputs, case):
    proc = run(cli_home, "turn", *bad_inputs[case])
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "error:" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bad_input_with_json_prints_a_machine_readable_error(cli_home, bad_inputs):
    proc = run(cli_home, "turn", *bad_inputs["silent audio"], "--json")
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["category"] == "silent_audio" and "dBFS" in error["message"]


def test_an_unknown_backend_fails_at_start_up_naming_the_variable(cli_home):
    proc = run(cli_home, "turn", "--text", "hi", VOICEBOT_STT="whisper-huge")
    assert proc.returncode == 2
    assert "VOICEBOT_STT" in proc.stderr and "whisper-base" in proc.stderr


def test_bench_prints_one_json_object_with_every_figure(cli_home):
    proc = run(cli_home, "bench", "--turns", "2", "--json", "--stt", "whisper-tiny")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["turns"] == 2
    assert report["backends"]["stt"] == "whisper-tiny"
    for key in ("voice_to_voice_ms", "voice_to_voice_uncached_ms", "dialog_ms", "tts_first_piece_uncached_ms"):
        assert report[key]["p50"] >= 0
    assert set(report["tts_first_audio_ms"]) == {"cached", "uncached"}  # first pieces apart (issue 16)
    assert report["voice_to_voice_ms"]["p95"] >= report["voice_to_voice_ms"]["p50"]
    assert 0 < report["stt_rtf"] < 10
    assert report["peak_rss_mb"] > 100
    assert report["load_s"] > 0
    scenarios = report["scenario_text_turns_per_s"]
    assert scenarios["scenarios"] >= 20 and scenarios["passed"] == scenarios["scenarios"]
    assert scenarios["turns_per_s"] > 0

"""`voicebot turn --audio FILE --realtime`: the file played in as a live caller, through the same endpointing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from tests.unit.helpers import silence, tone, wav_bytes


def _run(home: Path, *args: str, **env: str) -> Result:
    base = {
        "VOICEBOT_STT": "fake", "VOICEBOT_TTS": "fake", "VOICEBOT_INTENT_CLASSIFIER": "keywords",
        "VOICEBOT_VAD": "level",  # a loud tone is "speech" for the level stand-in
        "VOICEBOT_HOME": str(home), "VOICEBOT_ENDPOINT_STOP_MS": "300", "VOICEBOT_ENDPOINT_HOLD_MS": "600",
    }
    return CliRunner().invoke(app, ["turn", *args], env={**base, **env})


def test_a_file_played_in_real_time_is_endpointed_and_answered_with_its_endpoint_reported(
    home: Path, tmp_path: Path
) -> None:
    wav = tmp_path / "question.wav"
    wav.write_bytes(wav_bytes(np.concatenate([silence(0.3), tone(0.8, amp=0.3), silence(0.2), tone(0.5, amp=0.3)])))

    result = _run(home, "--audio", str(wav), "--realtime", "--json",
                  VOICEBOT_FAKE_TRANSCRIPTS="What are your opening hours?")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    (live,) = payload["realtime"]  # the 200 ms pause did not split it
    assert live["outcome"] == "answered"
    assert live["heard"] == "What are your opening hours?"
    assert 300 <= live["endpoint"]["delay_ms"] < 300 + 64
    assert live["endpoint"]["verdict"] == "complete" and live["endpoint"]["speculative"] is True
    assert live["speech_s"][0] == pytest.approx(0.3, abs=0.05) and live["speech_s"][1] == pytest.approx(1.8, abs=0.05)
    # From the end of speech to the first reply audio: the stop delay and then some.
    assert live["endpointed_voice_to_voice_ms"] >= 300
    assert "Monday to Friday" in payload["reply"]


def test_realtime_without_an_audio_file_is_a_usage_error(home: Path) -> None:
    result = _run(home, "--text", "hello", "--realtime")
    assert result.exit_code == 2
    assert "--realtime plays an --audio file" in " ".join(result.stderr.split())


def test_a_file_with_no_speech_in_it_is_an_input_error_not_a_silent_success(home: Path, tmp_path: Path) -> None:
    wav = tmp_path / "quiet.wav"
    wav.write_bytes(wav_bytes(silence(1.0)))
    result = _run(home, "--audio", str(wav), "--realtime", "--json")
    assert result.exit_code == 2, result.output
    assert "no turn was heard" in json.loads(result.stdout)["error"]["message"]

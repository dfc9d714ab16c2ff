"""A short smoke run of ``voicebot load-test`` against a real ``voicebot serve`` (the full runs are for the CLI).

The server runs the fakes and the loudness detector, so the tone the callers say is speech to it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from orchestrator.service.keys import KeyStore
from tests.integration.test_service_scaleout import BIN, serve, worker_env
from tests.redis_server import redis_server
from tests.service_client import wav_tone


@pytest.mark.parametrize("endpointing", ["server", "gateway"])
def test_a_short_media_load_run_answers_every_turn_and_loses_none(tmp_path: Path, endpointing: str):
    keys = tmp_path / "api-keys.json"
    _record, key = KeyStore(keys).add("loader", "qa")
    caller, second = tmp_path / "caller.wav", tmp_path / "second.wav"
    caller.write_bytes(wav_tone(0.6))
    second.write_bytes(wav_tone(0.9))
    with redis_server(tmp_path / "redis") as url, serve(tmp_path / "home", url, keys) as (base, _proc):
        run = subprocess.run([str(BIN), "load-test", "--url", base, "--key", key, "--qa-key", key, "--audio",
                              str(caller), "--audio", str(second), "--callers", "3", "--seconds", "3",
                              "--endpointing", endpointing],
                             env=worker_env(tmp_path / "home-cli", url, keys), capture_output=True, text=True,
                             timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(run.stdout)
    assert figures["turns_sent"] >= 3 and figures["turns_answered"] == figures["turns_sent"]
    assert figures["lost_turns"] == 0 and figures["voice_to_voice_p50_ms"] is not None
    assert figures["endpointing"] == endpointing


def test_a_missing_caller_clip_is_a_usage_error(tmp_path: Path):
    run = subprocess.run([str(BIN), "load-test", "--url", "http://127.0.0.1:9", "--key", "k", "--audio",
                          str(tmp_path / "nowhere.wav")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "nowhere.wav" in run.stdout + run.stderr

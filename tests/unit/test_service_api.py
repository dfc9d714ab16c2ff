"""The REST face of ``voicebot serve``: turns, sessions, reply audio, health and readiness, on fake speech backends."""

from __future__ import annotations

import io
import json
import threading
import wave

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app as cli_app
from orchestrator.config import Settings
from orchestrator.service.schemas import TurnResponse
from tests.conftest import make_pipeline
from tests.service_client import add_key, auth, service_client, wav_tone

LOAN = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"


@pytest.fixture
def speech_env(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI in this process on the same fakes as ``fake_settings``."""
    for name, value in (("STT", "fake"), ("TTS", "fake"), ("INTENT_CLASSIFIER", "keywords")):
        monkeypatch.setenv(f"VOICEBOT_{name}", value)
    return fake_settings


def flac_tone(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """The tone as FLAC (PyAV's encoder), so the upload path sees a second container."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        t = np.arange(int(seconds * rate), dtype=np.float32) / rate
        frame = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 300 * t) * 32767).astype(np.int16)[None, :],
                                           format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buffer.getvalue()


def test_a_text_turn_returns_the_same_object_as_voicebot_turn_json(speech_env: Settings):
    cli = CliRunner().invoke(cli_app, ["turn", "--text", LOAN, "--session", "cli-1", "--json"])
    assert cli.exit_code == 0, cli.output
    from_cli = json.loads(cli.stdout)
    with service_client(speech_env, make_pipeline(speech_env)) as client:
        key = auth(add_key(speech_env, "caller"))
        answer = client.post("/v1/sessions/api-1/turns", json={"text": LOAN}, headers=key)
    assert answer.status_code == 200, answer.text
    served = answer.json()
    assert list(served) == list(from_cli)
    for field in ("turn", "user_text", "reply", "intent", "slots", "state", "figures", "llm"):
        assert served[field] == from_cli[field], field
    assert served["session_id"] == "api-1" and served["audio_path"] == "/v1/sessions/api-1/audio/1"
    assert set(served) == set(TurnResponse.model_fields)


@pytest.mark.parametrize(("name", "make", "mime"), [("call.wav", wav_tone, "audio/wav"),
                                                     ("call.flac", flac_tone, "audio/flac")])
def test_an_uploaded_wav_or_flac_is_heard_and_answered(fake_settings: Settings, name, make, mime):
    pipeline = make_pipeline(fake_settings)
    with service_client(fake_settings, pipeline) as client:
        answer = client.post("/v1/sessions/up-1/turns", files={"audio": (name, make(), mime)},
                             headers=auth(add_key(fake_settings, "caller")))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["transcript"] == "hello" and body["voice_to_voice_ms"] is not None
    assert pipeline.stt.calls and pipeline.stt.calls[0] > 8_000  # the fake heard about a second of audio


def test_the_session_keeps_state_and_history_across_turns(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        caller, qa = auth(add_key(fake_settings, "caller")), auth(add_key(fake_settings, "qa"))
        client.post("/v1/sessions/hist-1/turns", json={"text": "I'd like a loan of 25,000 dollars"}, headers=caller)
        client.post("/v1/sessions/hist-1/turns", json={"text": "over 5 years at 6.5 percent"}, headers=caller)
        state = client.get("/v1/sessions/hist-1", headers=qa)
    assert state.status_code == 200
    body = state.json()
    assert body["turns"] == 2 and [h["turn"] for h in body["history"]] == [1, 2]
    assert body["history"][-1]["slots"] == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}


def test_each_turns_reply_audio_is_served_as_wav(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        key = auth(add_key(fake_settings, "caller"))
        turn = client.post("/v1/sessions/au-1/turns", json={"text": "hello"}, headers=key).json()
        audio = client.get(turn["audio_path"], headers=key)
        missing = client.get("/v1/sessions/au-1/audio/9", headers=key)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert round(wav.getnframes() / wav.getframerate(), 2) == round(turn["audio_s"], 2)
    assert missing.status_code == 404 and missing.json()["category"] == "not_found"


def test_an_unknown_or_hostile_session_id_is_a_problem_not_a_crash(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        qa = auth(add_key(fake_settings, "qa"))
        unknown = client.get("/v1/sessions/never-was", headers=qa)
        hostile = client.get("/v1/sessions/..%2Fetc", headers=qa)
        dotted = client.post("/v1/sessions/a.b/turns", json={"text": "hi"}, headers=qa)
    assert unknown.status_code == 404 and unknown.json()["category"] == "session_not_found"
    assert hostile.status_code in (400, 404) and hostile.headers["content-type"] == "application/problem+json"
    assert dotted.status_code == 400 and dotted.json()["category"] == "invalid_session_id"


def test_events_stream_as_sse_the_events_the_log_holds(fake_settings: Settings):
    from orchestrator.eventsource import JsonlEventSource

    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        client.post("/v1/sessions/sse-1/turns", json={"text": "hello"}, headers=auth(add_key(fake_settings, "caller")))
        answer = client.get("/v1/sessions/sse-1/events?follow=false", headers=auth(add_key(fake_settings, "qa")))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    kinds = [line.split(": ", 1)[1] for line in answer.text.splitlines() if line.startswith("event: ")]
    logged = [e.type for e in JsonlEventSource(fake_settings.logs_dir).read("sse-1")]
    assert kinds == logged and kinds[0] == "turn_started" and kinds[-1] == "turn_ended"


def test_a_followed_event_stream_ends_by_itself_when_the_call_ends(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        caller, qa = auth(add_key(fake_settings, "caller")), auth(add_key(fake_settings, "qa"))
        client.post("/v1/sessions/sse-2/turns", json={"text": "hello"}, headers=caller)
        done = threading.Event()

        def hang_up() -> None:
            client.post("/v1/sessions/sse-2/turns", json={"text": "goodbye"}, headers=caller)
            done.set()

        threading.Timer(0.3, hang_up).start()
        with client.stream("GET", "/v1/sessions/sse-2/events", headers=qa) as stream:
            lines = list(stream.iter_lines())
        assert done.wait(30)  # the goodbye turn was answered (its response may trail the stream's end)
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert [d["turn"] for d in data if d["type"] == "turn_ended"] == [1, 2]
    assert [d["state"] for d in data if d["type"] == "dialog_reply"][-1] == "ended"


def test_readyz_is_503_until_the_models_are_loaded(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    release = threading.Event()
    pipeline = make_pipeline(fake_settings)

    def slow_build(*_args, **_kwargs):
        release.wait(10)
        return pipeline

    monkeypatch.setattr("orchestrator.service.state.build_pipeline", slow_build)
    with service_client(fake_settings) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        loading = client.get("/readyz")
        key = auth(add_key(fake_settings, "caller"))
        turn = client.post("/v1/sessions/r-1/turns", json={"text": "hi"}, headers=key)
        release.set()
        for _ in range(100):
            ready = client.get("/readyz")
            if ready.status_code == 200:
                break
            threading.Event().wait(0.05)
    assert loading.status_code == 503 and loading.json()["category"] == "not_ready" and "Retry-After" in loading.headers
    assert turn.status_code == 503 and turn.json()["category"] == "not_ready"
    assert ready.status_code == 200 and ready.json()["backends"] == pipeline.backends


def test_metrics_count_the_services_turns(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        client.post("/v1/sessions/m-1/turns", json={"text": "hello"}, headers=auth(add_key(fake_settings, "caller")))
        client.post("/v1/sessions/m-1/turns", json={"text": " "}, headers=auth(add_key(fake_settings, "caller", "c2")))
        text = client.get("/metrics", headers=auth(add_key(fake_settings, "admin"))).text
    assert 'voicebot_turns_total{input_kind="text",outcome="ok"} 1.0' in text
    assert 'voicebot_errors_total{category="empty_text",stage="input"} 1.0' in text

"""Access control and limits of the service: keys and roles, 401/403, 413, 429, and one problem shape."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app as cli_app
from orchestrator.config import Settings
from orchestrator.service.keys import KeyStore
from tests.conftest import make_pipeline
from tests.service_client import add_key, auth, service_client, wav_tone


def keys(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli_app, ["keys", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_keys_add_prints_the_key_once_and_the_file_keeps_only_a_salted_hash(fake_settings: Settings):
    code, made = keys("add", "ivr", "--role", "caller")
    assert code == 0 and set(made) == {"name", "role", "key"} and made["role"] == "caller"
    stored = fake_settings.keys_file.read_text()
    secret = made["key"].split("-", 2)[2]
    assert made["key"] not in stored and secret not in stored
    assert {"salt", "hash"} <= set(json.loads(stored)["keys"][0])
    code, listed = keys("list")
    assert code == 0 and [k["name"] for k in listed["keys"]] == ["ivr"] and made["key"] not in json.dumps(listed)
    assert KeyStore(fake_settings.keys_file).verify(made["key"]).role == "caller"


def test_bad_key_commands_exit_2_with_a_json_error(fake_settings: Settings):
    assert keys("add", "x", "--role", "root")[1]["error"]["exit_code"] == 2
    keys("add", "twice")
    assert "exists" in keys("add", "twice")[1]["error"]["message"]
    assert keys("revoke", "nobody")[1]["error"]["category"] == "input"


def test_no_key_or_a_wrong_one_is_401_and_a_revoked_key_stops_working(fake_settings: Settings):
    key = add_key(fake_settings, "caller", "gw")
    body = {"text": "hello"}
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        missing = client.post("/v1/sessions/k-1/turns", json=body)
        tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
        wrong = client.post("/v1/sessions/k-1/turns", json=body, headers=auth(tampered))
        basic = client.post("/v1/sessions/k-1/turns", json=body, headers={"Authorization": f"Basic {key}"})
        good = client.post("/v1/sessions/k-1/turns", json=body, headers=auth(key))
        KeyStore(fake_settings.keys_file).revoke("gw")
        revoked = client.post("/v1/sessions/k-1/turns", json=body, headers=auth(key))
    for answer in (missing, wrong, basic, revoked):
        assert answer.status_code == 401, answer.text
        assert answer.json()["category"] == "unauthorized"
    assert good.status_code == 200


def test_a_role_too_low_is_403(fake_settings: Settings):
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        caller, qa = auth(add_key(fake_settings, "caller")), auth(add_key(fake_settings, "qa"))
        client.post("/v1/sessions/k-2/turns", json={"text": "hello"}, headers=caller)
        assert client.get("/v1/sessions/k-2", headers=caller).status_code == 403
        assert client.get("/v1/sessions/k-2/events?follow=false", headers=caller).status_code == 403
        assert client.get("/metrics", headers=qa).status_code == 403
        assert client.get("/v1/sessions/k-2", headers=qa).status_code == 200


def test_the_key_never_reaches_a_log_an_event_or_a_store(fake_settings: Settings, capfd: pytest.CaptureFixture[str]):
    key = add_key(fake_settings, "admin")
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        client.post("/v1/sessions/k-3/turns", json={"text": "hello"}, headers=auth(key))
        client.post("/v1/sessions/k-3/turns", json={"text": "x"}, headers=auth(key + "x"))
        client.get("/metrics", headers=auth(key))
    secret = key.split("-", 2)[2]
    written = [p for p in fake_settings.home.rglob("*") if p.is_file() and p != fake_settings.keys_file]
    assert written and not [p for p in written if secret.encode() in p.read_bytes()]
    captured = capfd.readouterr()
    assert secret not in captured.out + captured.err


def test_a_request_over_the_size_limit_is_413(fake_settings: Settings):
    small = fake_settings.model_copy(update={"api_max_request_bytes": 20_000})
    with service_client(small, make_pipeline(small)) as client:
        answer = client.post("/v1/sessions/big-1/turns", files={"audio": ("a.wav", wav_tone(2.0), "audio/wav")},
                             headers=auth(add_key(small, "caller")))
    assert answer.status_code == 413 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["category"] == "request_too_large"


def test_audio_over_the_length_limit_is_413_with_the_clis_category(fake_settings: Settings, tmp_path):
    short = fake_settings.model_copy(update={"max_audio_seconds": 1.0})
    with service_client(short, make_pipeline(short)) as client:
        answer = client.post("/v1/sessions/long-1/turns", files={"audio": ("a.wav", wav_tone(3.0), "audio/wav")},
                             headers=auth(add_key(short, "caller")))
    assert answer.status_code == 413
    assert answer.json()["category"] == "audio_too_long"


def test_past_the_rate_limit_a_key_gets_429_with_retry_after(fake_settings: Settings):
    limited = fake_settings.model_copy(update={"api_rate_limit": "2/minute"})
    with service_client(limited, make_pipeline(limited)) as client:
        key, other = auth(add_key(limited, "qa")), auth(add_key(limited, "qa", "other"))
        codes = [client.get("/v1/sessions/never", headers=key).status_code for _ in range(3)]
        refused = client.get("/v1/sessions/never", headers=key)
        elsewhere = client.get("/v1/sessions/never", headers=other)
    assert codes == [404, 404, 429]
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["category"] == "rate_limited" and refused.json()["retryable"] is True
    assert elsewhere.status_code == 404  # the limit is per key


@pytest.mark.parametrize(("given", "files"), [({"data": b"not audio at all"}, "corrupt"), ({"text": " "}, None)])
def test_a_problem_carries_the_same_category_as_the_clis_json_error(fake_settings: Settings, monkeypatch, tmp_path,
                                                                     given, files):
    for name, value in (("STT", "fake"), ("TTS", "fake"), ("INTENT_CLASSIFIER", "keywords")):
        monkeypatch.setenv(f"VOICEBOT_{name}", value)
    if files:
        bad = tmp_path / "bad.wav"
        bad.write_bytes(given["data"])
        cli = CliRunner().invoke(cli_app, ["turn", "--audio", str(bad), "--json"])
        request = {"files": {"audio": ("bad.wav", given["data"], "audio/wav")}}
    else:
        cli = CliRunner().invoke(cli_app, ["turn", "--text", given["text"], "--json"])
        request = {"json": given}
    expected = json.loads(cli.stdout)["error"]
    with service_client(fake_settings, make_pipeline(fake_settings)) as client:
        answer = client.post("/v1/sessions/p-1/turns", headers=auth(add_key(fake_settings, "caller")), **request)
    problem = answer.json()
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert problem["category"] == expected["category"] and problem["status"] == 400
    assert {"type", "title", "status", "detail", "instance"} <= set(problem)

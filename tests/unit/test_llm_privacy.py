"""The mistral and openai dialog backends: what leaves the process (no card numbers, no key, no lost cards)."""

from __future__ import annotations

import json

import pytest

from orchestrator.llm.base import DIALOG_BACKENDS
from tests.llm_server import error, text_reply
from tests.unit.llm_helpers import BACKENDS, KEY, llm_settings, pipeline_for, turn


@pytest.mark.parametrize("backend", BACKENDS)
def test_card_account_and_ssn_numbers_never_reach_the_server(backend, home, server, monkeypatch):
    server.queue(text_reply("I can't take card details on this line. Is there anything else?"),
                 text_reply("Thanks. Anything else?"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    turn(pipeline, "my card 4111 1111 1111 1111 was charged twice, my SSN is 123-45-6789")
    turn(pipeline, "and my account number is 12345678")

    sent = json.dumps([r.body for r in server.requests])
    for secret in ("4111", "1111 1111", "123-45-6789", "12345678"):
        assert secret not in sent
    assert "[" in server.requests[0].body["messages"][-1]["content"]  # a redaction placeholder is there
    # The second request carries the first exchange as history, redacted too.
    roles = [m["role"] for m in server.requests[1].body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_key_never_reaches_logs_events_or_stores(backend, home, server, monkeypatch, capfd):
    server.queue(error(401, f"key {KEY} is not valid"), error(500, f"echo {KEY}"), text_reply("Hello."))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    turn(pipeline, "hello")
    turn(pipeline, "hello again")
    pipeline.store.close()

    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was used...
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path  # ...and is nowhere on disk
    out, err = capfd.readouterr()
    assert KEY not in out and KEY not in err


def test_a_lost_card_never_goes_to_the_llm(home, server, monkeypatch):
    pipeline = pipeline_for(llm_settings(home, "mistral", server, monkeypatch))

    result = turn(pipeline, "I lost my card")

    assert server.requests == []
    assert result.intent == "lost_card" and result.state == "handoff"


def test_a_model_override_goes_into_the_request(home, server, monkeypatch):
    server.queue(text_reply("Hello."))
    settings = llm_settings(home, "openai", server, monkeypatch)
    dialog = DIALOG_BACKENDS.create("openai", settings)

    dialog.reply_stream("hello", {}, None, model="bank-loans-lora")

    assert server.requests[0].body["model"] == "bank-loans-lora"

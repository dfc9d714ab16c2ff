"""The lost-card flow starts only on a card reported lost, stolen or compromised, or a request to block it.

A card number on its own is redacted and the rest of the sentence decides
the intent: with the rules dialog (keyword and scored classifiers) and with
the LLM backends (real SDKs against the scripted server on loopback).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.dialog import phrases as say
from orchestrator.llm.base import DIALOG_BACKENDS
from orchestrator.nlu.intents import layered_prediction, reports_card_trouble
from orchestrator.pipeline import Pipeline, TurnResult
from tests.conftest import make_pipeline
from tests.llm_server import FakeLLMServer, text_reply

# One card in the forms callers say it and Whisper writes it.
CARD_FORMS = [
    "4111, 1111, 1111, 1111.",
    "4111. 1111. 1111. 1111.",
    "4111 1111 1111 1111",
    "four one one one, one one one one, one one one one, one one one one",
    "forty one eleven, eleven eleven, eleven eleven, eleven eleven",
    "four one double one, triple one one, one one one one, double one double one",
]
LOSS = ["It was stolen.", "I lost it yesterday.", "Please block it.", "I think it's been compromised."]


def turn(pipeline: Pipeline, text: str, sid: str = "lc-1") -> TurnResult:
    return asyncio.run(pipeline.run_turn(sid, text=text))


@pytest.fixture
def rules_pipeline(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings.model_copy(update={"disclosure": False}))
    yield pipeline
    pipeline.store.close()


# -- the classifier ---------------------------------------------------------------------------------


def head_sure_of_lost_card(text: str) -> dict[str, float]:
    """A scorer that calls everything a lost card (what MiniLM did with "[CARD]" in a sentence)."""
    return {"lost_card": 0.9, "help": 0.06, "loan_quote": 0.04}


@pytest.mark.parametrize(
    "text", ["What can you do? I would pay with my card [CARD].", "My card number is [CARD].", "[CARD]"]
)
def test_a_scored_lost_card_without_loss_or_block_words_is_never_taken(text):
    prediction = layered_prediction(text, head_sure_of_lost_card, threshold=0.5)

    assert prediction.intent != "lost_card"


@pytest.mark.parametrize(
    "text",
    ["someone used my card without permission, [CARD]", "I think my card was skimmed", "freeze it, the card is gone"],
)
def test_a_scored_lost_card_with_loss_or_block_words_is_kept(text):
    prediction = layered_prediction(text, head_sure_of_lost_card, threshold=0.5)

    assert prediction.intent == "lost_card"


@pytest.mark.parametrize(
    ("text", "trouble"),
    [
        ("my card was stolen", True),
        ("please block my card", True),
        ("freeze my debit card", True),
        ("my card has been compromised", True),
        ("I would pay with my card [CARD]", False),
        ("what is my card limit", False),
        ("How do I unblock my card using the app?", False),
        ("[CARD] [CARD] [CARD]", False),
    ],
)
def test_card_trouble_means_loss_theft_compromise_or_a_block_request(text, trouble):
    assert reports_card_trouble(text) is trouble


# -- the rules dialog, whatever form the number took -----------------------------------------------


@pytest.mark.parametrize("form", CARD_FORMS)
def test_a_card_number_with_a_question_gets_the_answer_to_the_question(rules_pipeline, form):
    result = turn(rules_pipeline, f"What can you do? I would pay with my card {form}")

    assert result.intent == "help"
    assert result.reply == say.CAPABILITIES
    assert "1111" not in result.user_text and "one one" not in result.user_text


@pytest.mark.parametrize("form", CARD_FORMS)
def test_a_card_number_alone_is_not_a_lost_card_nor_a_loan_amount(rules_pipeline, form):
    result = turn(rules_pipeline, f"My card number is {form}")

    assert result.intent not in ("lost_card", "loan_quote")
    assert result.state != "handoff"
    assert "4,111" not in result.reply and "4111" not in result.reply
    assert result.slots == {}


@pytest.mark.parametrize("form", CARD_FORMS)
@pytest.mark.parametrize("loss", LOSS)
def test_a_card_reported_lost_starts_the_lost_card_flow_whatever_form_its_number_took(rules_pipeline, form, loss):
    result = turn(rules_pipeline, f"My card number is {form} {loss}")

    assert (result.intent, result.state, result.reply) == ("lost_card", "handoff", say.LOST_CARD)


@pytest.mark.parametrize("form", CARD_FORMS)
def test_the_number_said_inside_the_lost_card_flow_keeps_the_caller_in_it(rules_pipeline, form):
    turn(rules_pipeline, "I lost my card")
    result = turn(rules_pipeline, f"My card number is {form}")

    assert result.state == "handoff" and result.reply == say.HANDOFF_WAIT
    assert result.figures == {} and "4,111" not in result.reply


def test_a_loan_request_with_a_card_number_in_it_is_a_loan_request(rules_pipeline):
    result = turn(rules_pipeline, "My card is 4111, 1111, 1111, 1111. I'd like to borrow 25,000 dollars.")

    assert result.intent == "loan_quote"
    assert result.slots.get("principal") in ("25000", 25000)


# -- the LLM backends -------------------------------------------------------------------------------


@pytest.fixture
def server():
    srv = FakeLLMServer().start()
    yield srv
    srv.stop()


def llm_pipeline(home: Path, backend: str, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("MISTRAL_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    values: dict[str, Any] = {
        "home": home, "stt": "fake", "tts": "fake", "llm": backend, "intent_classifier": "keywords",
        "mistral_url": server.url, "openai_url": f"{server.url}/v1", "openai_model": "served-mistral",
        "llm_backoff_s": 0.01, "llm_timeout_s": 5.0, "disclosure": False,
    }
    settings = Settings(**values)
    settings.ensure_dirs()
    return make_pipeline(settings, dialog=DIALOG_BACKENDS.create(backend, settings))


@pytest.mark.parametrize("backend", ["mistral", "openai"])
def test_with_an_llm_a_card_number_in_a_question_goes_to_the_model_redacted(backend, home, server, monkeypatch):
    server.queue(text_reply("I can help with loans, balances and transfers."))
    pipeline = llm_pipeline(home, backend, server, monkeypatch)

    result = turn(pipeline, "What can you do? I would pay with my card 4111, 1111, 1111, 1111.")
    pipeline.store.close()

    assert len(server.requests) == 1  # the model answered: no lost-card shortcut
    assert result.intent != "lost_card" and result.state != "handoff"
    assert "sorry to hear" not in result.reply.lower()
    sent = json.dumps(server.requests[0].body["messages"])
    assert "1111" not in sent and "[CARD]" in sent


@pytest.mark.parametrize("backend", ["mistral", "openai"])
def test_with_an_llm_a_card_reported_stolen_never_reaches_the_model(backend, home, server, monkeypatch):
    pipeline = llm_pipeline(home, backend, server, monkeypatch)

    result = turn(pipeline, "My card number is four one one one, one one one one, one one one one, one one one one. "
                            "It was stolen.")
    pipeline.store.close()

    assert server.requests == []
    assert (result.intent, result.state, result.reply) == ("lost_card", "handoff", say.LOST_CARD)

"""The mistral and openai dialog backends with a session adapter's served model and the semantic cache."""

from __future__ import annotations

import asyncio

import pytest

from tests.llm_server import text_reply
from tests.unit.llm_helpers import BACKENDS, llm_settings, pipeline_for, turn


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_session_adapter_with_a_served_model_is_what_the_request_asks_for(backend, home, server, monkeypatch):
    from tests.unit.adapter_fakes import save_fake_adapter

    settings = llm_settings(home, backend, server, monkeypatch)
    save_fake_adapter(settings, "loans-lora", served_model="bank-loans-lora")
    save_fake_adapter(settings, "plain")  # no served model: the configured one stays
    server.queue(text_reply("Hello."), text_reply("Hello."), text_reply("Hello."))
    pipeline = pipeline_for(settings)

    asyncio.run(pipeline.set_adapter("with-lora", "loans-lora"))
    asyncio.run(pipeline.set_adapter("with-plain", "plain"))
    turn(pipeline, "hello", sid="with-lora")
    turn(pipeline, "hello", sid="with-plain")
    turn(pipeline, "hello", sid="no-adapter")

    default = "mistral-small-latest" if backend == "mistral" else "served-mistral"
    assert [r.body["model"] for r in server.requests] == ["bank-loans-lora", default, default]


def test_a_repeated_faq_is_answered_from_the_cache_without_asking_the_llm(home, server, monkeypatch):
    from orchestrator.cache.turns import load_turn_cache
    from orchestrator.events import CacheLookup

    settings = llm_settings(home, "mistral", server, monkeypatch, disclosure=True)
    pipeline = pipeline_for(settings)
    pipeline.cache = load_turn_cache(settings)
    hours = "We are open Monday to Friday during office hours. Is there anything else?"
    server.queue(text_reply(hours), text_reply("Hello! How can I help?"))

    turn(pipeline, "What are your opening hours?", sid="first-caller")  # the LLM answers; the answer is kept
    turn(pipeline, "hello", sid="second-caller")  # the LLM answers; the disclosure is said
    again = turn(pipeline, "What are your opening hours?", sid="second-caller")

    assert len(server.requests) == 2  # the third turn never reached the LLM
    assert again.reply == hours
    assert next(e for e in again.events if isinstance(e, CacheLookup)).cache_hit is True
    history = pipeline.store.load("second-caller").dialog["llm_history"]
    assert history[-2:] == [{"role": "user", "content": "What are your opening hours?"},
                            {"role": "assistant", "content": hours}]


def test_an_llm_answer_that_leans_on_earlier_turns_is_never_kept(home, server, monkeypatch):
    from orchestrator.cache.turns import load_turn_cache

    # Session b's "hello" is answered from a's first turn (after the disclosure); only its hours reach the LLM.
    settings = llm_settings(home, "mistral", server, monkeypatch, disclosure=True)
    pipeline = pipeline_for(settings)
    pipeline.cache = load_turn_cache(settings)
    server.queue(text_reply("Hello! How can I help?"), text_reply("As I said, during office hours."),
                 text_reply("During office hours on weekdays."))

    turn(pipeline, "hello", sid="a")
    turn(pipeline, "What are your opening hours?", sid="a")  # has history before it: not kept
    turn(pipeline, "hello", sid="b")
    result = turn(pipeline, "What are your opening hours?", sid="b")

    assert len(server.requests) == 3
    assert result.reply == "During office hours on weekdays."  # not session a's answer, which leaned on its history

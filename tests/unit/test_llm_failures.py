"""The mistral and openai dialog backends: failures, retries, timeouts and the rules answer standing in."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.dialog.rules import RulesDialog
from orchestrator.events import DialogReply, ErrorEvent, LLMCall
from tests.llm_server import Reply, error, text_reply
from tests.unit.llm_helpers import BACKENDS, llm_settings, of_type, pipeline_for, turn


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_auth_error_is_not_retried_and_the_rules_answer_stands_in(backend, home, server, monkeypatch):
    server.queue(error(401, "invalid api key"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    result = turn(pipeline, "I want a loan of 25000 dollars")

    assert len(server.requests) == 1
    assert result.reply == RulesDialog().reply("I want a loan of 25000 dollars", {}).text
    errors = of_type(result, ErrorEvent)
    assert [(e.category, e.retryable, e.recovered, e.stage) for e in errors] == [
        ("llm_http_401", False, True, "dialog")
    ]
    assert of_type(result, DialogReply)[0].source == "rules"
    assert result.events[-1].ok is True


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rate_limit_is_retried_and_then_the_model_answers(backend, home, server, monkeypatch):
    server.queue(error(429, headers={"retry-after": "0"}), text_reply("Good morning. How can I help?"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    result = turn(pipeline, "hello there")

    assert len(server.requests) == 2
    assert result.reply == "Good morning. How can I help?"
    calls = of_type(result, LLMCall)
    assert [(c.attempt, c.ok, c.status) for c in calls] == [(1, False, 429), (2, True, None)]
    assert of_type(result, ErrorEvent) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_server_errors_are_retried_until_the_budget_is_spent(backend, home, server, monkeypatch):
    server.queue(error(500), error(503), error(502))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch, llm_retries=2))

    result = turn(pipeline, "hello there")

    assert len(server.requests) == 3
    assert [c.status for c in of_type(result, LLMCall)] == [500, 503, 502]
    assert [e.category for e in of_type(result, ErrorEvent)] == ["llm_http_502"]
    assert result.reply  # the rules greeting
    assert of_type(result, DialogReply)[0].source == "rules"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_slow_server_times_out_is_retried_and_falls_back(backend, home, server, monkeypatch):
    server.queue(Reply(delay_s=3.0), Reply(delay_s=3.0))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch, llm_timeout_s=0.3, llm_retries=1))

    result = turn(pipeline, "hello there")

    assert len(server.requests) == 2
    assert [(c.ok, c.category) for c in of_type(result, LLMCall)] == [(False, "llm_timeout")] * 2
    assert [(e.category, e.retryable) for e in of_type(result, ErrorEvent)] == [("llm_timeout", True)]
    assert result.reply


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_figure_no_tool_backs_is_flagged_and_replaced(backend, home, server, monkeypatch):
    server.queue(text_reply("Your monthly payment would be about $450.00. ", "Shall I go ahead?"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    result = turn(pipeline, "I'd like a loan of 25000 dollars at 6.5 percent")

    reply = of_type(result, DialogReply)[0]
    assert reply.flagged_figures == ["payment $450"]
    assert "$450" not in result.reply
    assert reply.source == "rules"
    assert result.reply == RulesDialog().reply("I'd like a loan of 25000 dollars at 6.5 percent", {}).text
    assert [e.category for e in of_type(result, ErrorEvent)] == ["llm_unbacked_figure"]


def test_a_stream_that_ends_without_a_stop_chunk_is_the_models_answer(home, server, monkeypatch):
    # Two text chunks and [DONE], but no chunk with a finish_reason (some servers never send one).
    def chunk(content: str) -> dict[str, Any]:
        return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}

    server.queue(Reply(chunks=[chunk("Let me see. Hmm"), chunk(" okay.")]))
    pipeline = pipeline_for(llm_settings(home, "openai", server, monkeypatch))

    result = turn(pipeline, "hello there")

    assert result.reply == "Let me see. Hmm okay."
    assert of_type(result, DialogReply)[0].source == "llm" and of_type(result, ErrorEvent) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stream_that_stalls_before_a_sentence_is_retried(backend, home, server, monkeypatch):
    stalled = text_reply("Good", " morning", chunk_delay_s=2.0)
    server.queue(stalled, text_reply("Good morning. How can I help?"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch, llm_timeout_s=0.5))

    result = turn(pipeline, "hello there")

    assert [(c.ok, c.category) for c in of_type(result, LLMCall)] == [(False, "llm_timeout"), (True, None)]
    assert result.reply == "Good morning. How can I help?"

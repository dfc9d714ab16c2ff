"""The mistral and openai dialog backends (real SDKs, scripted server): tool calls and streamed sentences."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from orchestrator.domain.loans import max_principal
from orchestrator.events import DialogReply, LLMCall, TTSChunk
from tests.llm_server import text_reply, tool_reply
from tests.unit.llm_helpers import ANSWER, ASK, BACKENDS, KEY, QUOTE_ARGS, llm_settings, of_type, pipeline_for, turn


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_quote_comes_from_the_loan_tool_and_the_model_phrases_it(backend, home, server, monkeypatch):
    server.queue(tool_reply(("loan_quote", QUOTE_ARGS)), text_reply(*ANSWER))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))

    result = turn(pipeline, ASK)

    assert result.reply == "".join(ANSWER).strip()
    assert result.figures["payment"] == "489.15" and result.figures["total"] == "29349.20"
    assert result.slots["principal"] == "25000" and result.slots["term_months"] == 60
    reply = of_type(result, DialogReply)[0]
    assert reply.source == "llm" and reply.backend == backend and reply.flagged_figures == []
    calls = of_type(result, LLMCall)
    assert [(c.round, c.attempt, c.ok) for c in calls] == [(0, 1, True), (1, 1, True)]
    assert calls[0].tool_calls == ["loan_quote"] and calls[1].completion_tokens == 30
    # What went over the wire: the tools, the model, streaming, then the tool's result.
    first, second = (r.body for r in server.requests)
    assert first["model"] == ("mistral-small-latest" if backend == "mistral" else "served-mistral")
    assert first["stream"] is True
    assert {t["function"]["name"] for t in first["tools"]} == {
        "loan_quote", "loan_schedule", "affordability", "bank_faq"
    }
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][1]["content"] == ASK
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call00000"
    assert json.loads(tool_message["content"])["payment"] == "489.15"
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "loan_quote"
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_openai_servers_may_split_tool_arguments_over_chunks(home, server, monkeypatch):
    most = max_principal(Decimal(500), Decimal("6.5"), 60)
    said = f"You could borrow up to ${most:,.2f} over 60 months."
    server.queue(tool_reply(("affordability", {"monthly_budget": 500, "annual_rate_percent": 6.5,
                                               "term_months": 60}), fragmented=True),
                 text_reply(said))
    pipeline = pipeline_for(llm_settings(home, "openai", server, monkeypatch))

    result = turn(pipeline, "I can pay $500 a month at 6.5% over 5 years, how much can I borrow?")

    tool_message = server.requests[1].body["messages"][-1]
    assert json.loads(tool_message["content"])["max_principal"] == str(most)
    assert result.reply == said
    assert of_type(result, DialogReply)[0].source == "llm"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_first_sentence_is_spoken_before_the_completion_ends(backend, home, server, monkeypatch):
    spoken = threading.Event()
    # The server holds its last chunk until the first audio exists (or 10 s pass).
    server.queue(text_reply("Happy to help with that. ", "Which amount would you like to borrow?",
                            hold_last=spoken))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch))
    audio_before_done: list[bool] = []

    async def on_chunk(index: int, samples: Any, rate: int) -> None:
        if index == 0:
            audio_before_done.append(not spoken.is_set())
            spoken.set()

    result = turn(pipeline, "I'd like a loan", on_audio_chunk=on_chunk)

    assert audio_before_done == [True]
    chunks = of_type(result, TTSChunk)
    assert [c.text for c in chunks] == ["Happy to help with that.", "Which amount would you like to borrow?"]
    # The first piece was spoken while the dialog step was still running.
    events = result.events
    assert events.index(chunks[0]) < events.index(of_type(result, DialogReply)[0])

"""The mistral and openai dialog backends: the real SDKs against a scripted server on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.dialog.rules import RulesDialog
from orchestrator.domain.loans import max_principal
from orchestrator.errors import ConfigError
from orchestrator.events import DialogReply, ErrorEvent, LLMCall, TTSChunk
from orchestrator.llm.base import DIALOG_BACKENDS
from orchestrator.pipeline import Pipeline, TurnResult
from tests.conftest import make_pipeline
from tests.llm_server import FakeLLMServer, Reply, error, text_reply, tool_reply

KEY = "sk-test-SECRET-4242-do-not-log"
QUOTE_ARGS = {"principal": 25000, "annual_rate_percent": 6.5, "term_months": 60}
ASK = "What would I pay on a $25,000 loan at 6.5% over 5 years?"
ANSWER = (
    "Your monthly payment would be $489.15, with a final payment of $489.35. ",
    "The APR is 6.50% and in total you would repay $29,349.20. ",
    "This is an estimate, not an offer.",
)

BACKENDS = ["mistral", "openai"]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    srv = FakeLLMServer().start()
    yield srv
    srv.stop()


def llm_settings(home: Path, backend: str, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
                 **overrides: Any) -> Settings:
    monkeypatch.setenv("MISTRAL_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    values: dict[str, Any] = {
        "home": home, "stt": "fake", "tts": "fake", "llm": backend, "intent_classifier": "keywords",
        "mistral_url": server.url, "openai_url": f"{server.url}/v1", "openai_model": "served-mistral",
        "llm_backoff_s": 0.01, "llm_timeout_s": 5.0, "disclosure": False,
    }
    values.update(overrides)
    settings = Settings(**values)
    settings.ensure_dirs()
    return settings


def pipeline_for(settings: Settings) -> Pipeline:
    return make_pipeline(settings, dialog=DIALOG_BACKENDS.create(settings.llm, settings))


def turn(pipeline: Pipeline, text: str, sid: str = "llm-1", **kwargs: Any) -> TurnResult:
    return asyncio.run(pipeline.run_turn(sid, text=text, **kwargs))


def of_type(result: TurnResult, cls: type) -> list[Any]:
    return [e for e in result.events if isinstance(e, cls)]


# -- tools and streaming --------------------------------------------------------------------


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


# -- failures, retries and the fallback -----------------------------------------------------


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


# -- what leaves the process ----------------------------------------------------------------


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


# -- start-up -------------------------------------------------------------------------------


def test_a_missing_mistral_key_stops_start_up_and_names_the_variable(home, monkeypatch):
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    settings = Settings(home=home, llm="mistral")

    with pytest.raises(ConfigError, match="MISTRAL_API_KEY"):
        DIALOG_BACKENDS.create("mistral", settings)


@pytest.mark.parametrize(("overrides", "variable"), [
    ({"openai_url": None, "openai_model": "m"}, "VOICEBOT_OPENAI_URL"),
    ({"openai_url": "http://127.0.0.1:9/v1", "openai_model": None}, "VOICEBOT_OPENAI_MODEL"),
])
def test_openai_needs_a_url_and_a_model(home, overrides, variable):
    with pytest.raises(ConfigError, match=variable):
        DIALOG_BACKENDS.create("openai", Settings(home=home, llm="openai", **overrides))


def test_openai_works_without_a_key(home, server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.queue(text_reply("Hello."))
    settings = llm_settings(home, "openai", server, monkeypatch)
    monkeypatch.delenv("OPENAI_API_KEY")
    dialog = DIALOG_BACKENDS.create("openai", settings)

    turn_result = dialog.reply("hello", {})

    assert turn_result.text == "Hello."
    assert server.requests[0].headers["authorization"] == "Bearer no-key"


def test_the_cli_refuses_to_start_without_the_key(home, monkeypatch):
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    for name, value in {"LLM": "mistral", "STT": "fake", "TTS": "fake", "INTENT_CLASSIFIER": "keywords"}.items():
        monkeypatch.setenv(f"VOICEBOT_{name}", value)

    result = CliRunner().invoke(app, ["turn", "--text", "hello"])

    assert result.exit_code == 2
    assert "MISTRAL_API_KEY" in result.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stream_that_stalls_before_a_sentence_is_retried(backend, home, server, monkeypatch):
    stalled = text_reply("Good", " morning", chunk_delay_s=2.0)
    server.queue(stalled, text_reply("Good morning. How can I help?"))
    pipeline = pipeline_for(llm_settings(home, backend, server, monkeypatch, llm_timeout_s=0.5))

    result = turn(pipeline, "hello there")

    assert [(c.ok, c.category) for c in of_type(result, LLMCall)] == [(False, "llm_timeout"), (True, None)]
    assert result.reply == "Good morning. How can I help?"


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


def test_the_browser_app_refuses_to_start_without_the_key(home):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    env = {k: v for k, v in os.environ.items() if k != "MISTRAL_API_KEY"}
    env.update(VOICEBOT_LLM="mistral", VOICEBOT_HOME=str(home))

    proc = subprocess.run([sys.executable, "-c", "import app"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)

    assert proc.returncode == 2
    assert "MISTRAL_API_KEY" in proc.stderr and "Traceback" not in proc.stderr

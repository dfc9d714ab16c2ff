"""The LLM bridge's own logic on a scripted in-process client: sentences, tools, retries, deadline, fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.dialog.rules import RulesDialog
from orchestrator.llm.bridge import LLMDialog, LLMOptions
from orchestrator.llm.chat import ChatChunk, LLMError, ToolCallDelta
from orchestrator.llm.tools import run_tool

Step = list[ChatChunk] | LLMError | tuple[list[ChatChunk], LLMError]


class ScriptedClient:
    """Plays one step per request: chunks, an error, or chunks then an error mid-stream."""

    name = "scripted"

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[list[dict[str, Any]]] = []

    def stream(self, *, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Iterator[ChatChunk]:
        self.requests.append([dict(m) for m in messages])
        step = self.steps.pop(0)
        if isinstance(step, LLMError):
            raise step
        chunks, failure = step if isinstance(step, tuple) else (step, None)
        yield from chunks
        if failure is not None:
            raise failure


def text(*pieces: str) -> list[ChatChunk]:
    return [ChatChunk(text=p) for p in pieces]


def call(name: str, args: dict[str, Any] | str, index: int = 0) -> list[ChatChunk]:
    arguments = args if isinstance(args, str) else json.dumps(args)
    return [ChatChunk(tool_calls=(ToolCallDelta(index, f"id{index}", name, arguments),))]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bridge(client: ScriptedClient, clock: Clock | None = None, **options: Any) -> LLMDialog:
    clock = clock or Clock()
    return LLMDialog(client, RulesDialog(), LLMOptions(model="m", **options), sleep=clock.sleep, clock=clock)


QUOTE = {"principal": 25000, "annual_rate_percent": 6.5, "term_months": 60}


def test_sentences_are_handed_over_as_soon_as_they_are_complete():
    heard: list[str] = []
    client = ScriptedClient(text("Sure", ", I can", " help. What amount", " do you need? Also", " the term."))

    result = bridge(client).reply_stream("a loan please", {}, heard.append)

    assert heard == ["Sure, I can help.", "What amount do you need?", "Also the term."]
    assert result.text == "Sure, I can help. What amount do you need? Also the term."


def test_a_decimal_split_across_chunks_is_one_figure():
    heard: list[str] = []
    client = ScriptedClient(call("loan_quote", QUOTE), text("It is $489.", "15 a month. Estimate only."))

    result = bridge(client).reply_stream("quote 25000 at 6.5% for 60 months", {}, heard.append)

    assert heard == ["It is $489.15 a month.", "Estimate only."]
    assert result.flagged_figures == ()


def test_a_tool_error_goes_back_to_the_model_which_can_ask_again():
    client = ScriptedClient(call("loan_quote", {"principal": 25000, "annual_rate_percent": 6.5}),
                            text("How many months would you like?"))

    result = bridge(client).reply("a loan of 25000 at 6.5%", {})

    tool_message = client.requests[1][-1]
    assert tool_message["role"] == "tool" and "term_months is missing" in tool_message["content"]
    assert result.text == "How many months would you like?" and result.source == "llm"


def test_a_model_that_keeps_calling_tools_is_cut_off():
    client = ScriptedClient(*[call("loan_quote", QUOTE) for _ in range(3)])

    result = bridge(client, max_tool_rounds=2).reply("hello", {})

    assert len(client.requests) == 3
    assert result.source == "rules" and result.notes[0].category == "llm_bad_reply"


def test_an_empty_reply_falls_back():
    result = bridge(ScriptedClient(text("  "))).reply("hello", {})

    assert result.source == "rules" and result.text == RulesDialog().reply("hello", {}).text
    assert "empty" in result.notes[0].message


def test_retries_back_off_exponentially_and_honour_retry_after():
    clock = Clock()
    client = ScriptedClient(LLMError("busy", status=503), LLMError("busy", status=503),
                            LLMError("slow down", status=429, retry_after_s=3.0), text("Hello."))

    result = bridge(client, clock, retries=3, backoff_s=1.0).reply("hello", {})

    assert result.text == "Hello."
    first, second, third = clock.sleeps
    assert 0.75 <= first <= 1.25 and 1.5 <= second <= 2.5  # 1 s then 2 s, with jitter
    assert third == 3.0
    assert [c.attempt for c in result.llm_calls] == [1, 2, 3, 4]


def test_no_retry_starts_past_the_deadline():
    clock = Clock()
    client = ScriptedClient(LLMError("busy", status=500), LLMError("busy", status=500), text("Hello."))

    result = bridge(client, clock, retries=5, backoff_s=4.0, deadline_s=5.0).reply("hello", {})

    assert len(client.requests) == 2  # the third try would start after 4 + ~8 s
    assert result.source == "rules"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(status):
    client = ScriptedClient(LLMError("no", status=status), text("Hello."))

    result = bridge(client).reply("hello", {})

    assert len(client.requests) == 1
    assert result.notes[0].category == f"llm_http_{status}" and not result.notes[0].retryable


def test_a_failure_after_a_sentence_was_spoken_is_not_retried():
    heard: list[str] = []
    client = ScriptedClient((text("Let me check that. Your"), LLMError("reset", connection=True)), text("Hello."))

    result = bridge(client).reply_stream("hello", {}, heard.append)

    assert len(client.requests) == 1
    rules_answer = RulesDialog().reply("hello", {}).text
    assert heard == ["Let me check that.", rules_answer]
    assert result.text == f"Let me check that. {rules_answer}"


def test_an_unknown_tool_and_bad_arguments_are_answered_not_raised():
    assert "unknown tool" in run_tool("transfer_money", "{}").content
    assert "not valid JSON" in run_tool("loan_quote", "{principal: 1").content
    for bad in ({"principal": "lots", "annual_rate_percent": 5, "term_months": 12},
                {"principal": 1000, "annual_rate_percent": 5, "term_months": 12.5},
                {"principal": 1000, "annual_rate_percent": 500, "term_months": 12},
                {"principal": True, "annual_rate_percent": 5, "term_months": 12}):
        result = run_tool("loan_quote", bad)
        assert not result.ok and "error" in json.loads(result.content)


def test_the_schedule_tool_shows_first_and_last_rows_and_totals():
    result = run_tool("loan_schedule", QUOTE)

    body = json.loads(result.content)
    assert body["payments"] == 60 and len(body["rows"]) == 6 and body["rows_omitted"] == 54
    assert body["rows"][-1]["balance"] in ("0", "0.00") and body["total_interest"] == "4349.20"
    assert ("amount", "4349.2") in {f.key for f in result.backing}


def test_history_is_kept_redacted_and_bounded():
    client = ScriptedClient(*[text(f"Answer {i}.") for i in range(4)])
    dialog = bridge(client, history_turns=2)
    memory: dict[str, Any] = {}

    for i in range(4):
        memory = dialog.reply(f"question {i} card 4111 1111 1111 1111", memory).memory

    history = memory["llm_history"]
    assert len(history) == 4 and history[-1] == {"role": "assistant", "content": "Answer 3."}
    assert all("4111" not in m["content"] for m in history)
    assert [m["role"] for m in client.requests[-1]] == ["system", "user", "assistant", "user", "assistant", "user"]


def test_figures_from_the_banks_faq_tool_back_the_reply():
    said = "International transfers cost 25 dollars and take one to three working days."
    backed = ScriptedClient(call("bank_faq", {"question": "how much is an international transfer"}), text(said))
    unbacked = ScriptedClient(text(said))

    with_tool = bridge(backed).reply("how much is an international transfer", {})
    without = bridge(unbacked).reply("how much is an international transfer", {})

    assert with_tool.source == "llm" and with_tool.text == said
    assert without.source == "rules"
    assert without.flagged_figures == ("fee 25 dollars", "term 1", "term 3 working days")


def test_the_faq_tool_says_when_no_faq_answers():
    body = json.loads(run_tool("bank_faq", {"question": "can I buy bitcoin"}).content)
    assert body["found"] is False
    assert not run_tool("bank_faq", {"question": ""}).ok

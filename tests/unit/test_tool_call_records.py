"""Which domain functions a reply came from: the rules dialog and the LLM bridge record them, the event carries them."""

from __future__ import annotations

from orchestrator.dialog.rules import RulesDialog
from orchestrator.events import DialogReply
from orchestrator.llm.base import ToolCall
from orchestrator.pipeline import Pipeline
from tests.unit.test_llm_bridge import QUOTE, ScriptedClient, bridge, call, text
from tests.unit.test_rules_dialog import converse


def test_rules_quote_records_loan_quote_with_the_confirmed_slots():
    turns = converse("I'd like to borrow 18,000 dollars over 36 months at 4.9 percent", "yes")
    assert turns[0].state == "confirming"
    assert turns[0].tool_calls == ()  # asking to confirm computes nothing the caller hears
    assert turns[1].tool_calls == (
        ToolCall("loan_quote", {"principal": "18000", "annual_rate_percent": "4.9", "term_months": 36}),
    )


def test_rules_schedule_and_interest_follow_ups_record_their_own_function():
    turns = converse("borrow 25000 dollars over 5 years at 6.5 percent", "yes",
        "show me the payment schedule", "what's the total interest?",
    )
    assert [c.name for c in turns[2].tool_calls] == ["loan_schedule"]
    assert [c.name for c in turns[3].tool_calls] == ["loan_quote"]
    assert turns[3].tool_calls[0].args["term_months"] == 60


def test_rules_faq_answer_records_bank_faq_with_its_topic():
    (turn,) = converse("what are your opening hours?")
    assert turn.intent == "faq"
    assert turn.tool_calls[0].name == "bank_faq"
    assert turn.tool_calls[0].args["topic"] == "opening_hours"


def test_rules_repeat_of_a_quote_computes_nothing_new():
    turns = converse("borrow 25000 dollars over 5 years at 6.5 percent", "yes", "can you repeat that?")
    assert turns[2].figures == turns[1].figures
    assert turns[2].tool_calls == ()


def test_llm_reply_records_the_tools_the_model_ran_with_their_arguments():
    client = ScriptedClient(call("loan_quote", QUOTE), text("Your payment is $489.15 a month, APR 6.50%."))
    turn = bridge(client).reply("quote 25000 over 60 months at 6.5 percent", {})
    assert turn.source == "llm"
    assert turn.tool_calls == (ToolCall("loan_quote", QUOTE, ok=True),)


def test_llm_tool_refusing_its_arguments_is_recorded_as_not_ok():
    client = ScriptedClient(call("loan_quote", {"principal": 25000}), text("I need the rate and the term."))
    turn = bridge(client).reply("quote me 25000", {})
    assert turn.tool_calls[0].name == "loan_quote"
    assert turn.tool_calls[0].ok is False


def test_llm_fallback_keeps_the_models_calls_and_adds_the_rules_answers_own():
    # The model ran a tool, then said a figure nothing backs: the rules answer (a quote) replaces it.
    memory = RulesDialog().reply("borrow 25000 dollars over 5 years at 6.5 percent", {}).memory
    client = ScriptedClient(call("bank_faq", {"question": "hours"}), text("Your payment is $999.99."))
    turn = bridge(client).reply("yes", memory)
    assert turn.source == "rules"
    assert [c.name for c in turn.tool_calls] == ["bank_faq", "loan_quote"]


async def test_dialog_reply_event_carries_the_tool_calls(fake_pipeline: Pipeline):
    await fake_pipeline.run_turn("s-tools", text="borrow 18000 dollars over 3 years at 4.9 percent")
    result = await fake_pipeline.run_turn("s-tools", text="yes please")
    reply = next(e for e in result.events if isinstance(e, DialogReply))
    assert reply.tool_calls == [
        {"name": "loan_quote", "args": {"principal": "18000", "annual_rate_percent": "4.9", "term_months": 36},
         "ok": True},
    ]

"""orchestrator.dialog.rules: the deterministic banking dialog (greet, help, quote loans, goodbye)."""

from __future__ import annotations

import copy
import itertools
from decimal import Decimal
from typing import Any

import pytest

from orchestrator.dialog.rules import (
    ASK,
    CAPABILITIES,
    GOODBYE,
    GREETING,
    NOT_AN_OFFER,
    OUT_OF_SCOPE,
    RulesDialog,
    format_money,
)
from orchestrator.llm.base import DialogBackend, DialogTurn

ISSUE_EXAMPLE = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"


def converse(*utterances: str, memory: dict[str, Any] | None = None) -> list[DialogTurn]:
    """Feed utterances one after another, carrying the memory like the pipeline does."""
    dialog = RulesDialog()
    memory = memory or {}
    turns = []
    for text in utterances:
        turn = dialog.reply(text, memory)
        memory = turn.memory
        turns.append(turn)
    return turns


def test_the_rules_dialog_satisfies_the_dialog_backend_protocol():
    assert isinstance(RulesDialog(), DialogBackend)
    assert RulesDialog.name == "rules"


@pytest.mark.parametrize("text", ["hello", "Hi there", "good morning", "HEY"])
def test_a_greeting_is_answered_with_the_greeting(text):
    (turn,) = converse(text)

    assert turn.text == GREETING
    assert turn.intent == "greeting"
    assert turn.state == "start"


@pytest.mark.parametrize("text", ["what can you do", "What else can you do?", "help", "what are my options"])
def test_asking_what_it_can_do_lists_the_capabilities(text):
    (turn,) = converse(text)

    assert turn.text == CAPABILITIES
    assert turn.intent == "help"


def test_the_full_issue_question_is_quoted_with_payment_apr_and_total():
    (turn,) = converse(ISSUE_EXAMPLE)

    assert turn.intent == "loan_quote"
    assert turn.state == "quoted"
    # Published value for $25,000 at 6.5% over 60 months: $489.15; 60 x 489.15 = 29,349.00.
    assert "For $25,000 over 60 months at 6.5% a year" in turn.text
    assert "the monthly payment is $489.15" in turn.text
    assert "APR is 6.50%" in turn.text
    assert "repay $29,349.26" in turn.text
    assert turn.text.endswith(NOT_AN_OFFER)
    assert turn.figures == {"payment": "489.15", "apr": "6.50", "total": "29349.26"}
    assert turn.slots == {"principal": "25000", "rate_percent": "6.5", "term_months": 60}
    assert turn.memory["quote"] == turn.figures


def test_the_same_request_in_spoken_words_gets_the_same_quote():
    (turn,) = converse("twenty five thousand dollars over five years at six and a half percent")

    assert turn.figures["payment"] == "489.15"


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["twenty five thousand dollars", "6.5 percent", "five years"]))
)
def test_loan_figures_can_be_given_one_per_turn_in_any_order(order):
    turns = converse("I'd like a loan", *order)

    for turn in turns[:-1]:
        assert turn.state == "collecting_loan"
        assert turn.intent == "loan_quote"
        # It always asks for a slot it does not have yet.
        missing = [k for k in ("principal", "term_months", "rate_percent") if k not in turn.slots]
        assert turn.text.endswith(ASK[missing[0]])
    assert turns[-1].state == "quoted"
    assert turns[-1].figures["payment"] == "489.15"


def test_a_loan_request_without_figures_asks_for_the_amount_first():
    (turn,) = converse("I want a loan")

    assert turn.text == ASK["principal"]
    assert turn.slots == {}


def test_a_request_with_two_figures_asks_only_for_the_third():
    (turn,) = converse("borrow 10,000 dollars at 7 percent")

    assert turn.text == ASK["term_months"]
    assert turn.slots == {"principal": "10000", "rate_percent": "7"}


def test_a_rate_of_200_percent_is_refused_and_asked_for_again_keeping_the_other_figures():
    first, second = converse("borrow 25000 dollars at 200 percent over 5 years", "6.5 percent")

    assert first.state == "collecting_loan"
    assert "between 0 and 100 percent" in first.text
    assert first.text.endswith(ASK["rate_percent"])
    assert first.slots == {"principal": "25000", "term_months": 60}
    assert second.state == "quoted"
    assert second.figures["payment"] == "489.15"


def test_a_term_of_900_months_is_refused_and_asked_for_again():
    first, second = converse("borrow 25000 dollars over 900 months at 6.5 percent", "60 months")

    assert "between 1 and 600 months" in first.text
    assert first.text.endswith(ASK["term_months"])
    assert "term_months" not in first.slots
    assert second.figures["payment"] == "489.15"


def test_a_principal_over_the_banks_limit_is_refused():
    (turn,) = converse("borrow $20,000,000 over 5 years at 5%")

    assert "$10,000,000" in turn.text
    assert turn.text.endswith(ASK["principal"])
    assert "principal" not in turn.slots


def test_a_term_of_zero_months_is_refused():
    (turn,) = converse("borrow 5000 dollars over 0 months at 5%")

    assert "term_months" not in turn.slots
    assert turn.text.endswith(ASK["term_months"])


def test_an_answer_without_a_number_while_collecting_repeats_the_question():
    _, turn = converse("I want a loan", "umm I am not sure")

    assert turn.text == f"Sorry, I didn't catch a number. {ASK['principal']}"
    assert turn.state == "collecting_loan"


def test_changing_one_figure_after_a_quote_requotes_with_the_others_kept():
    _, turn = converse(ISSUE_EXAMPLE, "make it 48 months")

    # 25000 * r / (1 - (1 + r)^-48) with r = 0.065/12 = 592.8738... -> $592.87
    assert turn.figures["payment"] == "592.87"
    assert turn.slots == {"principal": "25000", "rate_percent": "6.5", "term_months": 48}


def test_a_new_loan_request_after_a_quote_starts_over():
    _, turn = converse(ISSUE_EXAMPLE, "I want another loan")

    assert turn.slots == {}
    assert turn.text == ASK["principal"]


@pytest.mark.parametrize("text", ["What's the weather like today?", "tell me a joke", ""])
def test_anything_else_is_out_of_scope(text):
    (turn,) = converse(text)

    assert turn.text == OUT_OF_SCOPE
    assert turn.intent == "out_of_scope"


@pytest.mark.parametrize("text", ["bye", "Goodbye.", "Thanks, that's all."])
def test_goodbye_ends_the_call(text):
    (turn,) = converse(text)

    assert turn.text == GOODBYE
    assert turn.intent == "goodbye"
    assert turn.state == "ended"


def test_goodbye_after_a_quote_keeps_the_loan_in_memory():
    _, turn = converse(ISSUE_EXAMPLE, "bye")

    assert turn.intent == "goodbye"
    assert turn.slots["principal"] == "25000"


def test_reply_never_mutates_the_memory_it_is_given():
    memory = {
        "loan": {"principal": "25000", "rate_percent": "6.5"},
        "state": "collecting_loan",
        "quote": {"payment": "1.00"},
    }
    snapshot = copy.deepcopy(memory)
    dialog = RulesDialog()

    for text in ("five years", "hello", "I want another loan", "bye", "200 percent"):
        dialog.reply(text, memory)

    assert memory == snapshot


def test_the_returned_memory_is_independent_of_the_input():
    memory: dict[str, Any] = {"loan": {"principal": "25000"}, "state": "collecting_loan"}

    turn = RulesDialog().reply("6.5 percent", memory)
    turn.memory["loan"]["principal"] = "1"

    assert memory["loan"]["principal"] == "25000"


def test_every_fixed_phrase_is_said_verbatim_somewhere():
    phrases = RulesDialog().fixed_phrases()

    assert GREETING in phrases and CAPABILITIES in phrases and GOODBYE in phrases
    assert all(ask in phrases for ask in ASK.values())


@pytest.mark.parametrize(
    ("value", "cents", "text"),
    [
        (Decimal(25000), False, "$25,000"),
        (Decimal("489.15"), False, "$489.15"),
        (Decimal(100), True, "$100.00"),
        (Decimal("1234567.5"), False, "$1,234,567.50"),
    ],
)
def test_money_is_formatted_with_thousands_separators(value, cents, text):
    assert format_money(value, cents=cents) == text


def test_an_interest_free_loan_that_does_not_split_evenly_is_quoted():
    (turn,) = converse("borrow 1000 dollars over 12 months at 0 percent")

    assert turn.state == "quoted"

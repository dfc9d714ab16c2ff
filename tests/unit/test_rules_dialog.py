"""orchestrator.dialog.rules: the deterministic banking dialog, one reply at a time."""

from __future__ import annotations

import copy
import itertools
from decimal import Decimal
from typing import Any

import pytest

from orchestrator.dialog import phrases as say
from orchestrator.dialog.commands import Command, detect_command, is_no, is_yes
from orchestrator.dialog.quotes import format_money, make_quote
from orchestrator.dialog.rules import MAX_FAILURES, RulesDialog
from orchestrator.dialog.slots import read_slots
from orchestrator.llm.base import DialogBackend, DialogTurn

ISSUE_EXAMPLE = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"


class ScriptedIntents:
    """Returns one fixed intent: isolates the dialog's rules from the classifier."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    def classify(self, text: str) -> Any:
        return self


def converse(
    *utterances: str, memory: dict[str, Any] | None = None, dialog: RulesDialog | None = None
) -> list[DialogTurn]:
    """Feed utterances one after another, carrying the memory like the pipeline does."""
    dialog = dialog or RulesDialog()
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
    assert (turn.text, turn.intent, turn.state) == (say.GREETING, "greeting", "start")


@pytest.mark.parametrize("text", ["what can you do", "What else can you do?", "help", "what are my options"])
def test_asking_what_it_can_do_lists_the_capabilities(text):
    (turn,) = converse(text)
    assert (turn.text, turn.intent) == (say.CAPABILITIES, "help")


def test_all_three_figures_are_confirmed_before_anything_is_quoted():
    (turn,) = converse(ISSUE_EXAMPLE)
    assert turn.state == "confirming"
    assert turn.figures == {}
    assert turn.text == (
        "Just to confirm: a loan of $25,000 over 60 months at 6.5% a year. Shall I work out the estimate?"
    )
    assert turn.slots == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}


def test_yes_quotes_payment_final_payment_apr_total_and_not_an_offer():
    _, turn = converse(ISSUE_EXAMPLE, "yes")
    assert (turn.intent, turn.state) == ("loan_quote", "quoted")
    # Published value for $25,000 at 6.5% over 60 months: $489.15 a month.
    assert turn.text == (
        "Here is your estimate. For $25,000 over 60 months at 6.5% a year, the monthly payment is $489.15, "
        "with a final payment of $489.35, and the APR is 6.50%. In total you would repay $29,349.20. "
        "This is an estimate, not an offer."
    )
    assert turn.figures == {
        "payment": "489.15", "final_payment": "489.35", "apr": "6.50", "total": "29349.20", "total_interest": "4349.20",
    }
    assert turn.memory["quote"] == turn.figures


def test_the_same_request_in_spoken_words_gets_the_same_quote():
    _, turn = converse("twenty five thousand dollars over five years at six and a half percent", "yeah")
    assert turn.figures["payment"] == "489.15"


@pytest.mark.parametrize("order", list(itertools.permutations(["$25,000", "5 years", "6.5%"])))
def test_loan_figures_can_be_given_one_per_turn_in_any_order(order):
    turns = converse("I need a loan", *order, "yes")
    assert [t.state for t in turns] == ["collecting_loan"] * 3 + ["confirming", "quoted"]
    assert turns[-1].figures["payment"] == "489.15"


def test_the_dialog_asks_for_what_is_missing_first_amount_then_term_then_rate():
    a, b, c = converse("I need a loan", "$25,000", "5 years")
    assert a.text == say.ASK["principal"]
    assert b.text == say.ASK["term_months"]
    assert c.text == say.ASK["rate_percent"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("$25,000 over 5 years at 200 percent", "between 0 and 100 percent"),
        ("$25,000 at 6% over 900 months", "between 1 and 600 months"),
        ("$20 million over 5 years at 6%", "from $100 to $10,000,000"),
        ("$50 over 5 years at 6%", "from $100 to $10,000,000"),
        ("$25,000 at 6% over 0 months", "between 1 and 600 months"),
        ("$25,000 at 6% over 2.5 months", "whole number of months"),
    ],
)
def test_an_out_of_range_value_is_reprompted_and_the_others_are_kept(text, fragment):
    (turn,) = converse(text)
    assert turn.state == "collecting_loan"
    assert fragment in turn.text
    assert turn.figures == {}
    assert len(turn.slots) == 2


@pytest.mark.parametrize(
    "text",
    ["twenty or thirty thousand dollars", "between 5 and 6 percent", "5 to 6 percent", "$20,000 and $30,000"],
)
def test_two_values_for_one_slot_get_a_question_not_a_guess(text):
    (turn,) = converse(text)
    assert turn.state == "collecting_loan"
    assert turn.slots == {} or ("rate_percent" not in turn.slots and "principal" not in turn.slots)
    assert turn.memory["failures"] == 1


def test_a_bare_number_answers_only_the_question_just_asked():
    first, rate = converse("I'd like a loan of $25,000 over 5 years", "six and a half")
    assert first.memory["asked"] == "rate_percent"
    assert rate.slots["rate_percent"] == "6.5"


def test_a_bare_number_for_the_term_asks_months_or_years():
    turns = converse("I'd like a loan of $25,000", "5")
    assert "5 months or 5 years" in turns[-1].text
    assert "term_months" not in turns[-1].slots


def test_a_bare_number_nobody_asked_for_is_not_used():
    (turn,) = converse("7")
    assert turn.slots == {}
    assert "not sure what 7 refers to" in turn.text


def test_corrections_at_the_confirmation_change_only_that_slot():
    turns = converse(ISSUE_EXAMPLE, "no, make it thirty thousand", "actually 7 percent", "yes")
    assert turns[1].slots == {"principal": "30000", "term_months": 60, "rate_percent": "6.5"}
    assert turns[2].slots == {"principal": "30000", "term_months": 60, "rate_percent": "7"}
    assert turns[3].figures["apr"] == "7.00"


def test_no_at_the_confirmation_asks_what_to_change_and_keeps_the_slots():
    _, turn = converse(ISSUE_EXAMPLE, "no")
    assert turn.text == say.WHAT_TO_CHANGE
    assert len(turn.slots) == 3


def test_an_unclear_answer_at_the_confirmation_asks_again_with_the_summary():
    _, turn = converse(ISSUE_EXAMPLE, "the sky is blue")
    assert turn.state == "confirming"
    assert turn.text.startswith(say.CONFIRM_REPROMPT)
    assert "$25,000" in turn.text


def test_changing_one_figure_after_a_quote_reconfirms_with_the_others_kept():
    turns = converse(ISSUE_EXAMPLE, "yes", "what about 10 years?")
    assert turns[-1].state == "confirming"
    assert turns[-1].slots == {"principal": "25000", "term_months": 120, "rate_percent": "6.5"}


def test_a_new_loan_request_after_a_quote_starts_over():
    turns = converse(ISSUE_EXAMPLE, "yes", "I'd like another loan")
    assert turns[-1].slots == {}
    assert turns[-1].text == say.ASK["principal"]


def test_total_interest_and_schedule_after_a_quote():
    quote, interest, schedule = converse(ISSUE_EXAMPLE, "yes", "how much interest in total?")[1:] + converse(
        ISSUE_EXAMPLE, "yes", "show me the schedule"
    )[2:]
    assert interest.text.startswith("The total interest is $4,349.20 over 60 months, at an APR of 6.50%.")
    assert schedule.text.startswith(
        "Here is the payment schedule: 59 monthly payments of $489.15 and a final payment of $489.35"
    )
    for turn in (interest, schedule):
        assert turn.figures == quote.figures
        assert "estimate, not an offer" in turn.text


def test_asking_for_the_schedule_at_the_confirmation_counts_as_yes():
    _, turn = converse(ISSUE_EXAMPLE, "can I see the amortization table")
    assert turn.state == "quoted"
    assert "payment schedule" in turn.text


def test_repeat_says_the_last_reply_again_with_its_figures():
    turns = converse(ISSUE_EXAMPLE, "yes", "sorry, can you say that again?")
    assert turns[-1].text == turns[-2].text
    assert turns[-1].figures == turns[-2].figures
    assert turns[-1].intent == "repeat"


def test_repeat_before_anything_was_said():
    (turn,) = converse("repeat that please")
    assert turn.text == say.NOTHING_TO_REPEAT


def test_the_handoff_comes_after_two_failed_reprompts():
    dialog = RulesDialog(ScriptedIntents("out_of_scope"))
    turns = converse("blah", "blah", "blah", dialog=dialog)
    assert [t.state for t in turns] == ["start", "start", "handoff"]
    assert turns[-1].text == say.HANDOFF_AFTER_FAILURES
    assert turns[-1].intent == "human_handoff"
    assert MAX_FAILURES == 2


def test_a_success_resets_the_failure_count():
    turns = converse("I need a loan", "blah", "blah", "$25,000", "blah", "blah")
    assert [t.state for t in turns][-1] == "collecting_loan"
    assert turns[-1].memory["failures"] == 2


def test_after_a_handoff_the_bot_only_asks_the_caller_to_hold():
    turns = converse("I want to talk to a real person", "hello?", ISSUE_EXAMPLE)
    assert turns[0].state == "handoff"
    assert [t.text for t in turns[1:]] == [say.HANDOFF_WAIT, say.HANDOFF_WAIT]


@pytest.mark.parametrize(
    ("intent", "text", "state"),
    [
        ("balance", say.BALANCE, "start"),
        ("transfer", say.TRANSFER, "start"),
        ("lost_card", say.LOST_CARD, "handoff"),
        ("human_handoff", say.HANDOFF, "handoff"),
        ("goodbye", say.GOODBYE, "ended"),
        ("out_of_scope", say.OUT_OF_SCOPE, "start"),
    ],
)
def test_each_intent_has_its_answer(intent, text, state):
    (turn,) = converse("something", dialog=RulesDialog(ScriptedIntents(intent)))
    assert (turn.intent, turn.text, turn.state) == (intent, text, state)


def test_a_mortgage_is_quoted_as_a_mortgage():
    dialog = RulesDialog(ScriptedIntents("mortgage"))
    turns = converse("a home loan", "$300,000 over 30 years at 7%", "yes", dialog=dialog)
    assert turns[0].text == f"{say.MORTGAGE_LEAD} {say.MORTGAGE_ASK_PRINCIPAL}"
    assert turns[-1].text.startswith(say.MORTGAGE_ESTIMATE_LEAD)
    assert turns[-1].intent == "mortgage"


def test_goodbye_with_figures_is_not_taken_as_goodbye():
    (turn,) = converse("bye the way, I need $5,000")
    assert turn.state == "collecting_loan"


def test_reply_never_mutates_the_memory_it_is_given():
    dialog = RulesDialog()
    memory: dict[str, Any] = {}
    for text in (ISSUE_EXAMPLE, "no, make it 30000", "yes", "what's the total interest"):
        before = copy.deepcopy(memory)
        turn = dialog.reply(text, memory)
        assert memory == before
        memory = turn.memory


def test_the_memory_is_plain_json():
    import json

    turns = converse(ISSUE_EXAMPLE, "yes")
    assert json.loads(json.dumps(turns[-1].memory)) == turns[-1].memory


def test_every_fixed_phrase_is_unique_and_said_verbatim():
    assert len(set(say.FIXED_PHRASES)) == len(say.FIXED_PHRASES)
    assert say.ESTIMATE_LEAD in converse(ISSUE_EXAMPLE, "yes")[-1].text


@pytest.mark.parametrize(
    ("value", "cents", "text"),
    [
        (Decimal("25000"), False, "$25,000"),
        (Decimal("489.15"), False, "$489.15"),
        (Decimal("1000000"), True, "$1,000,000.00"),
        (Decimal("0.5"), False, "$0.50"),
    ],
)
def test_money_is_formatted_with_thousands_separators(value, cents, text):
    assert format_money(value, cents=cents) == text


def test_an_interest_free_loan_that_does_not_split_evenly_is_quoted():
    quote = make_quote({"principal": "1000", "rate_percent": "0", "term_months": 3})
    assert (quote.payment, quote.final_payment, quote.total, quote.apr) == (
        Decimal("333.33"), Decimal("333.34"), Decimal("1000.00"), Decimal("0.00"),
    )


# -- commands and slot reading ------------------------------------------------------


@pytest.mark.parametrize("text", ["yes", "Yeah.", "sure, go ahead", "OK", "correct", "that's right"])
def test_yes(text):
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize("text", ["no", "Nope.", "not quite", "no, change the rate", "yes but change the term"])
def test_no(text):
    assert is_no(text) and not is_yes(text)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("repeat that", Command.REPEAT),
        ("say that again", Command.REPEAT),
        ("what's the total interest?", Command.TOTAL_INTEREST),
        ("how much interest will I pay in total", Command.TOTAL_INTEREST),
        ("show me the schedule", Command.SCHEDULE),
        ("the amortization table please", Command.SCHEDULE),
        ("I'd like a loan", None),
        ("what's the interest rate?", None),
    ],
)
def test_commands(text, command):
    assert detect_command(text) is command


def test_read_slots_takes_the_amount_with_a_money_word_over_a_bare_one():
    reading = read_slots("for my 2000 car I need 500 dollars")
    assert reading.values == {"principal": "500"}


def test_read_slots_reports_nothing_for_words():
    assert read_slots("a loan please").empty


@pytest.mark.parametrize("question", ["what's the monthly payment?", "how much would the loan cost me each month"])
def test_asking_about_the_loan_after_a_quote_repeats_the_quote(question):
    turns = converse(ISSUE_EXAMPLE, "yes", question)
    assert turns[-1].state == "quoted"
    assert turns[-1].figures == turns[1].figures
    assert "$489.15" in turns[-1].text


def test_spoken_quarters_and_decimal_millions():
    (turn,) = converse("two hundred fifty thousand dollars over thirty years at seven and a quarter percent")
    assert turn.slots == {"principal": "250000", "term_months": 360, "rate_percent": "7.25"}
    (big,) = converse("I'd like to borrow one point five million dollars")
    assert big.slots == {"principal": "1500000"}

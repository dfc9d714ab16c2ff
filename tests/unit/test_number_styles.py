"""Amounts said other ways ("thirty grand", "thirty K", "three oh thousand") and corrections in one breath."""

from __future__ import annotations

import pytest

from orchestrator.compliance import redact
from orchestrator.dialog.slots import read_slots
from orchestrator.nlu.numbers import digitize


@pytest.mark.parametrize(
    ("said", "principal"),
    [
        ("I want to borrow thirty grand", "30000"),
        ("30 grand, please", "30000"),
        ("twenty-five grand", "25000"),
        ("thirty k", "30000"),
        ("thirty K please", "30000"),
        ("25K", "25000"),
        ("three oh thousand dollars", "30000"),
        ("two five thousand", "25000"),
        ("one two thousand dollars", "12000"),
        ("four oh oh thousand", "400000"),
    ],
)
def test_an_amount_said_as_slang_or_digit_by_digit_fills_the_principal(said: str, principal: str):
    assert read_slots(said, asked="principal").values == {"principal": principal}


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("twenty thousand dollars, no, sorry, twenty five thousand dollars", {"principal": "25000"}),
        ("thirty thousand, actually make it thirty-five thousand", {"principal": "35000"}),
        ("20 grand, I mean 25 grand", {"principal": "25000"}),
        ("over four years, no, wait, five years", {"term_months": 60}),
        ("at 7 percent, no, 6.5 percent", {"rate_percent": "6.5"}),
        ("I'd like to borrow 20,000 dollars, no, sorry, 25,000 dollars over 5 years at 6.5 percent",
         {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}),
        ("Make it 47 months, no, sorry, um, 48 months at 5.9 percent.", {"term_months": 48, "rate_percent": "5.9"}),
    ],
)
def test_a_correction_in_the_same_breath_keeps_the_value_said_after_it(said: str, values: dict[str, object]):
    reading = read_slots(said)
    assert reading.problem is None
    assert reading.values == values


@pytest.mark.parametrize(
    "said",
    [
        "I want 20000 dollars, no more than 25000 dollars",  # "no more than" corrects nothing
        "20 or 30 thousand",
        "30000 dollars and 35000 dollars",
    ],
)
def test_two_amounts_without_a_correction_still_get_a_question_back(said: str):
    reading = read_slots(said)
    assert reading.problem is not None and "principal" not in reading.values


def test_digits_read_out_without_a_scale_stay_apart_so_a_spoken_card_is_still_redacted():
    spoken = "my card is four one one one one one one one one one one one one one one one"
    assert digitize(spoken).endswith("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")
    assert "one one one" not in redact(spoken)


def test_oh_outside_a_figure_is_a_word():
    assert digitize("oh, I want twenty thousand") == "oh, I want 20000"
    assert digitize("I am ok") == "I am ok"


def test_a_misheard_at_between_a_term_and_a_rate_is_not_taken_for_two_alternatives():
    # Whisper on a noisy phone line: "over 5 years at 6.5 percent" -> "over 5 years or 6.5%".
    reading = read_slots("I'd like to borrow $25,000 over 5 years or 6.5%.")
    assert reading.problem is None
    assert reading.values == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}
    for same_kind in ("5 percent or 6 percent", "5 years or 6 years", "$20000 or 30000 dollars", "5 to 6 percent"):
        assert read_slots(same_kind).problem == "I heard more than one value. Please give me just one.", same_kind

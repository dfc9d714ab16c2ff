"""orchestrator.nlu.numbers: spoken and written numbers to digits, and loan terms from free text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.nlu.numbers import LoanTerms, digitize, extract_loan_terms, parse_decimal

# -- digitize ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("twenty five thousand dollars", "25000 dollars"),
        ("twenty-five thousand dollars", "25000 dollars"),
        ("25k", "25000"),
        ("25K dollars", "25000 dollars"),
        ("2.5k", "2500"),
        ("$25,000", "$25000"),
        ("a hundred and fifty thousand", "150000"),
        ("a thousand", "1000"),
        ("three hundred and twenty five", "325"),
        ("two thousand and five", "2005"),
        ("one million two hundred thousand", "1200000"),
        ("1.5 million", "1500000"),
        ("one and a half million", "1500000"),
        ("eighteen hundred dollars", "1800 dollars"),
        ("six and a half percent", "6.5 percent"),
        ("six point five percent", "6.5 percent"),
        ("four point seven five percent", "4.75 percent"),
        ("zero point five percent", "0.5 percent"),
        ("five years", "5 years"),
        ("eighteen months", "18 months"),
        ("ninety nine", "99"),
    ],
)
def test_spoken_numbers_are_rewritten_as_digits(spoken, digits):
    assert digitize(spoken) == digits


@pytest.mark.parametrize(
    "text",
    [
        "a loan for a car",
        "point of view",
        "I want a loan and a car",
        "an hour and a half",
        "a quarter of the way",
        "",
        "hello there",
    ],
)
def test_words_that_only_look_like_number_words_are_left_unchanged(text):
    assert digitize(text) == text


def test_two_adjacent_numbers_that_cannot_be_one_number_stay_apart():
    assert digitize("one two three") == "1 2 3"
    assert digitize("nineteen ninety") == "19 90"


def test_a_dangling_point_is_kept_as_a_word():
    assert digitize("six point") == "6 point"


def test_digitize_keeps_the_words_around_the_numbers():
    assert digitize("I'd like to borrow twenty five thousand dollars over five years") == (
        "I'd like to borrow 25000 dollars over 5 years"
    )


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(
    st.lists(
        st.sampled_from(
            ["a", "an", "and", "point", "half", "quarter", "loan", "car", "view", "of", "for", "the",
             "rate", "years", "A", "And", "Point", "percent", "dollars", "borrow", "I'd", "like"]
        ),
        min_size=1,
        max_size=10,
    )
)
def test_sentences_of_connectives_and_ordinary_words_without_a_number_are_never_changed(words):
    text = " ".join(words)

    assert digitize(text) == text


# -- parse_decimal ------------------------------------------------------------------


def test_parse_decimal_reads_grouped_and_decimal_figures():
    assert parse_decimal("25,000") == Decimal("25000")
    assert parse_decimal("489.15") == Decimal("489.15")
    assert parse_decimal("not a number") is None


# -- extract_loan_terms ------------------------------------------------------------------


def test_the_issue_example_gives_25000_at_6_5_percent_over_60_months():
    terms = extract_loan_terms("I'd like to borrow 25,000 dollars over 5 years at 6.5 percent")

    assert terms == LoanTerms(principal=Decimal("25000"), rate_percent=Decimal("6.5"), term_months=60)


def test_the_same_request_spoken_in_words_gives_the_same_terms():
    terms = extract_loan_terms("twenty five thousand dollars over five years at six and a half percent")

    assert terms == LoanTerms(principal=Decimal("25000"), rate_percent=Decimal("6.5"), term_months=60)


@pytest.mark.parametrize(
    ("text", "principal"),
    [
        ("twenty five thousand dollars", Decimal(25000)),
        ("25k", Decimal(25000)),
        ("$25,000", Decimal(25000)),
        ("$ 25,000", Decimal(25000)),
        ("a hundred and fifty thousand", Decimal(150000)),
        ("1.5 million", Decimal(1500000)),
        ("I need 50 dollars", Decimal(50)),
        ("$25,000.50", Decimal("25000.50")),
    ],
)
def test_the_principal_is_read_from_amounts_in_any_form(text, principal):
    assert extract_loan_terms(text).principal == principal


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("six and a half percent", Decimal("6.5")),
        ("6.5 %", Decimal("6.5")),
        ("6.5%", Decimal("6.5")),
        ("six point five percent", Decimal("6.5")),
        ("at 7 per cent", Decimal(7)),
        ("zero point five percent", Decimal("0.5")),
    ],
)
def test_the_rate_is_read_from_percentages_in_any_form(text, rate):
    assert extract_loan_terms(text).rate_percent == rate


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("five years", 60),
        ("60 months", 60),
        ("eighteen months", 18),
        ("one and a half years", 18),
        ("a 30-year loan", 360),
        ("over 3 yrs", 36),
    ],
)
def test_the_term_is_read_in_months_from_years_or_months(text, months):
    assert extract_loan_terms(text).term_months == months


def test_a_fractional_number_of_months_is_not_a_term():
    assert extract_loan_terms("2.5 months").term_months is None


def test_small_unmarked_numbers_are_not_taken_as_the_principal():
    # "two cars" is not a loan amount; neither is an age.
    assert extract_loan_terms("I have two cars and I am 45").principal is None


def test_a_marked_amount_wins_over_an_earlier_bare_number():
    terms = extract_loan_terms("for my 2000 car I need 500 dollars")

    assert terms.principal == Decimal(500)


def test_the_figures_of_the_rate_and_the_term_are_not_reused_as_the_principal():
    terms = extract_loan_terms("over 120 months at 150 percent")

    assert terms == LoanTerms(principal=None, rate_percent=Decimal(150), term_months=120)


def test_text_without_loan_figures_gives_empty_terms():
    assert extract_loan_terms("a loan for a car, please") == LoanTerms()


def test_the_terms_may_come_in_any_order():
    terms = extract_loan_terms("for five years at 6.5 percent I want 25000")

    assert terms == LoanTerms(principal=Decimal(25000), rate_percent=Decimal("6.5"), term_months=60)


@pytest.mark.parametrize("text", [".5%", "at .5 percent"])
def test_a_rate_written_without_a_leading_zero_is_half_a_percent(text):
    assert extract_loan_terms(text).rate_percent == Decimal("0.5")


def test_point_five_percent_is_half_a_percent():
    assert extract_loan_terms("point five percent").rate_percent == Decimal("0.5")


def test_a_mixed_digit_and_word_decimal_rate_is_read_whole():
    assert extract_loan_terms("6 point 5 percent").rate_percent == Decimal("6.5")


# -- find_loan_mentions: every figure, undecided ---------------------------------------

from orchestrator.nlu.numbers import find_loan_mentions  # noqa: E402


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("twenty five thousand dollars", Decimal("25000")),
        ("25k", Decimal("25000")),
        ("$25,000", Decimal("25000")),
        ("a hundred and fifty thousand", Decimal("150000")),
        ("1.5 million dollars", Decimal("1500000")),
        ("twenty-five thousand", Decimal("25000")),
    ],
)
def test_amounts_as_people_say_them(text, amount):
    assert find_loan_mentions(text).amounts == (amount,)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("six and a half percent", Decimal("6.5")),
        ("6.5 %", Decimal("6.5")),
        ("6.5%", Decimal("6.5")),
        ("six point five per cent", Decimal("6.5")),
        ("an interest rate of 7", Decimal("7")),
        ("the rate is 4.25", Decimal("4.25")),
        ("5.9 APR", Decimal("5.9")),
    ],
)
def test_rates_as_people_say_them(text, rate):
    assert find_loan_mentions(text).rates == (rate,)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("five years", 60),
        ("60 months", 60),
        ("eighteen months", 18),
        ("a year", 12),
        ("a year and a half", 18),
        ("two and a half years", 30),
        ("a 30-year mortgage", 360),
    ],
)
def test_terms_as_people_say_them(text, months):
    assert find_loan_mentions(text).terms == (months,)


@pytest.mark.parametrize(
    "text",
    ["twenty or thirty thousand dollars", "between 5 and 6 percent", "5 to 6 percent", "3 or 4 years"],
)
def test_alternatives_are_flagged(text):
    assert find_loan_mentions(text).alternatives


@pytest.mark.parametrize("text", ["I want to borrow 25,000 over 5 years", "25000 and 5 years at 6%", "hello"])
def test_plain_requests_are_not_alternatives(text):
    assert not find_loan_mentions(text).alternatives


def test_two_different_amounts_are_both_kept_for_the_dialog_to_question():
    mentions = find_loan_mentions("$20,000 or maybe $30,000")
    assert mentions.marked_amounts == (Decimal("20000"), Decimal("30000"))


def test_a_small_number_without_a_unit_is_bare():
    mentions = find_loan_mentions("five")
    assert (mentions.bare, mentions.amounts, mentions.rates, mentions.terms) == ((Decimal("5"),), (), (), ())


def test_a_fractional_month_is_a_bad_term_not_a_rounded_one():
    mentions = find_loan_mentions("over 2.5 months")
    assert mentions.terms == () and mentions.bad_terms == ("2.5 months",)


def test_no_numbers_is_empty():
    assert find_loan_mentions("I would like a loan").empty

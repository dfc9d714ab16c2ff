"""orchestrator.nlu.spoken: figures written the way a person says them (for TTS)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.nlu.numbers import digitize
from orchestrator.nlu.spoken import int_to_words, speakable


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (21, "twenty-one"),
        (100, "one hundred"),
        (105, "one hundred five"),
        (489, "four hundred eighty-nine"),
        (1_000, "one thousand"),
        (25_000, "twenty-five thousand"),
        (1_000_001, "one million one"),
        (2_500_000, "two million five hundred thousand"),
        (1_000_000_000, "one billion"),
        (-5, "minus five"),
    ],
)
def test_whole_numbers_are_written_in_american_english(n, words):
    assert int_to_words(n) == words


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("$25,000", "twenty five thousand dollars"),
        ("6.5%", "six point five percent"),
        ("$489.15", "four hundred eighty nine dollars and fifteen cents"),
        ("$1.01", "one dollar and one cent"),
        ("$1", "one dollar"),
        ("$2.00", "two dollars"),
        ("$1,000,000", "one million dollars"),
        ("6.50%", "six point five percent"),
        ("7%", "seven percent"),
        ("60 months", "sixty months"),
        ("1,234.56", "one thousand two hundred thirty four point five six"),
    ],
)
def test_money_percentages_and_numbers_become_words(text, spoken):
    assert speakable(text) == spoken


def test_a_full_quote_sentence_is_spoken_without_any_digit_left():
    quote = (
        "For $25,000 over 60 months at 6.5% a year, the monthly payment is $489.15, "
        "and the APR is 6.50%. In total you would repay $29,349.00."
    )

    spoken = speakable(quote)

    assert not any(ch.isdigit() for ch in spoken)
    assert "twenty five thousand dollars over sixty months at six point five percent a year" in spoken
    assert "four hundred eighty nine dollars and fifteen cents, and" in spoken
    assert "twenty nine thousand three hundred forty nine dollars." in spoken


def test_apr_is_spelled_with_dots_so_the_voice_says_the_letters():
    assert speakable("the APR is 7%") == "the A.P.R. is seven percent"
    assert speakable("APRIL") == "APRIL"


def test_text_without_figures_is_unchanged():
    assert speakable("How much would you like to borrow?") == "How much would you like to borrow?"


def test_a_dollar_amount_with_one_decimal_digit_is_spoken_as_cents():
    assert speakable("$10.5") == "ten dollars and fifty cents"


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.integers(min_value=0, max_value=10**9))
def test_int_to_words_digitizes_back_to_the_same_integer(n):
    assert digitize(int_to_words(n)) == str(n)


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.integers(min_value=0, max_value=10**9))
def test_speakable_numbers_digitize_back_to_the_same_integer(n):
    assert digitize(speakable(f"{n:,}")) == str(n)


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=99))
def test_spoken_money_digitizes_back_to_dollars_and_cents(dollars, cents):
    spoken = speakable(f"${dollars:,}.{cents:02d}")

    expected = f"{dollars} dollar{'' if dollars == 1 else 's'}"
    if cents:
        expected += f" and {cents} cent{'' if cents == 1 else 's'}"
    assert digitize(spoken) == expected

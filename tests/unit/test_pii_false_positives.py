"""Redaction leaves what the dialog needs: amounts, rates, terms, dates, and the bot's own sentences.

The realdata utterances (BANKING77 and NLU++ banking, written by others) are
a check only: nothing in the redactor was tuned on them.
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.compliance import redact
from orchestrator.dialog import phrases
from orchestrator.dialog.faq import FAQS
from orchestrator.dialog.quotes import make_quote
from tests.conftest import REALDATA


def realdata_utterances() -> list[str]:
    with (REALDATA / "intents" / "banking_intents_sample.csv").open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def test_no_realdata_banking_utterance_is_altered():
    utterances = realdata_utterances()
    changed = [(u, redact(u)) for u in utterances if redact(u) != u]

    assert len(utterances) == 300
    assert changed == []


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.",
        "twenty five thousand dollars over sixty months at six point five percent",
        "a $1,995.91 payment over 48 months",
        "Make it 48 months at 5.9 percent.",
        "Quote me 50,000 dollars over 10 years at 3.75 percent.",
        "a 30 year mortgage at 3.75% on $450,000",
        "a mortgage of 1,250,000 dollars over 360 months",
        "I can pay 500, maybe 600 a month",
        "1,000, 2,000 and 3,000 dollars",
        "payments of $489.15 and a final one of $489.35, 29,349.20 in total",
        "I started paying back my mortgage on the 7th of Jan 2018",
        "from 01/06/2024 to 30/06/2024",
        "date 2024-01-01, at 10:10 in the morning",
        "my card ending 1234",
        "the last four digits are 4444",
        "I was born in 1985 and I have 2 kids",
        "reference 20241124",
        "nineteen eighty five",
        "Oh, one more thing: is the APR 6.70%?",
        "twenty twenty four",
    ],
)
def test_amounts_rates_terms_and_dates_in_banking_sentences_are_kept(text):
    assert redact(text) == text


def test_the_bots_own_sentences_are_kept():
    quote = make_quote({"principal": "25000", "rate_percent": "6.5", "term_months": 60})
    said = [*phrases.FIXED_PHRASES, *(faq.answer for faq in FAQS), quote.text(), quote.interest_text(),
            quote.schedule_text()]

    assert [s for s in said if redact(s) != s] == []


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(
    st.integers(min_value=100, max_value=10**9),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=1, max_value=480),
    st.sampled_from(["dollars", "pounds", "euros"]),
)
def test_a_loan_request_keeps_its_amount_rate_and_term(amount, cents, months, currency):
    text = (f"I'd like to borrow {amount:,} {currency}, about ${amount:,}.{cents:02d}, "
            f"over {months} months at {cents}.5%")

    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("The security code is 5.76.", "The security code is [CVV]."),
        ("my pin is 12.34", "my pin is [PIN]"),
        ("The code on the back is 5.76, the rate 6.5 percent", "The code on the back is [CVV], the rate 6.5 percent"),
        ("the security code costs $5.76", "the security code costs $5.76"),
        ("my account balance is 1234.56", "my account balance is 1234.56"),
    ],
)
def test_a_decimal_said_after_a_cvv_or_pin_cue_is_masked_and_an_amount_is_not(text, redacted):
    assert redact(text) == redacted

"""Whole conversations for the rules dialog, shared by the fast and the real-model tests.

Each step is what the caller says and what must hold of the bot's answer.
Figures are checked exactly: they come from the domain's Decimal maths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One caller utterance and what must hold of the reply."""

    user: str
    intent: str | None = None
    state: str | None = None
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)  # must be a subset of the reply's slots
    figures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    """A named conversation, run from a fresh session."""

    name: str
    steps: tuple[Step, ...]


QUOTE_25K = {"payment": "489.15", "apr": "6.50", "total": "29349.20"}

CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation("everything in one sentence, then yes", (
        Step("I'd like to borrow 25,000 dollars over 5 years at 6.5 percent", "loan_quote", "confirming",
             contains=("Just to confirm", "$25,000", "60 months", "6.5%"),
             slots={"principal": "25000", "term_months": 60, "rate_percent": "6.5"}),
        Step("yes please", "loan_quote", "quoted", contains=("$489.15", "APR is 6.50%", "estimate, not an offer",
                                                             "repay $29,349.20"), figures=QUOTE_25K),
    )),
    Conversation("spoken words, slots one by one", (
        Step("hi, I need a loan", "loan_quote", "collecting_loan", contains=("How much",)),
        Step("twenty five thousand dollars", "loan_quote", "collecting_loan", contains=("months or years",),
             slots={"principal": "25000"}),
        Step("five years", "loan_quote", "collecting_loan", contains=("interest rate",), slots={"term_months": 60}),
        Step("six and a half percent", "loan_quote", "confirming", slots={"rate_percent": "6.5"}),
        Step("yes", "loan_quote", "quoted", figures=QUOTE_25K),
    )),
    Conversation("slots out of order", (
        Step("what would the payment be at 6.5%?", "loan_quote", "collecting_loan", contains=("How much",),
             slots={"rate_percent": "6.5"}),
        Step("60 months", "loan_quote", "collecting_loan", contains=("How much",), slots={"term_months": 60}),
        Step("$25,000", "loan_quote", "confirming"),
        Step("go ahead", "loan_quote", "quoted", figures=QUOTE_25K),
    )),
    Conversation("correction before the quote", (
        Step("borrow 25k over 5 years at 6.5%", "loan_quote", "confirming"),
        Step("no, make it thirty thousand", "loan_quote", "confirming", contains=("$30,000",),
             slots={"principal": "30000"}),
        Step("yes", "loan_quote", "quoted", contains=("APR is 6.50%",), figures={"payment": "586.98"}),
    )),
    Conversation("correction after the quote, then the follow-ups", (
        Step("a loan of $10,000 for 36 months at 5%", "loan_quote", "confirming"),
        Step("correct", "loan_quote", "quoted", figures={"payment": "299.71", "apr": "5.00"}),
        Step("actually make the rate 7 percent", "loan_quote", "confirming", contains=("7%",),
             slots={"rate_percent": "7"}),
        Step("yes", "loan_quote", "quoted", figures={"payment": "308.77", "apr": "7.00"}),
        Step("what's the total interest?", "loan_quote", "quoted", contains=("total interest is", "APR")),
        Step("show me the schedule", "loan_quote", "quoted", contains=("payment schedule", "APR")),
        Step("can you repeat that", "repeat", "quoted", contains=("payment schedule",)),
    )),
    Conversation("saying no at the confirmation", (
        Step("I want to borrow $5,000 over 2 years at 9%", "loan_quote", "confirming"),
        Step("no", "loan_quote", "collecting_loan", contains=("What would you like to change",)),
        Step("the term should be 3 years", "loan_quote", "confirming", contains=("36 months",)),
        Step("yes", "loan_quote", "quoted", figures={"payment": "159.00", "apr": "9.00"}),
    )),
    Conversation("out of range values are re-asked, never clamped", (
        Step("I need a loan of 50 million dollars", "loan_quote", "collecting_loan",
             contains=("from $100 to $10,000,000",), not_contains=("50,000,000 over",)),
        Step("OK, 20,000 dollars over 900 months", "loan_quote", "collecting_loan",
             contains=("between 1 and 600 months",), slots={"principal": "20000"}),
        Step("48 months at 150 percent", "loan_quote", "collecting_loan", contains=("between 0 and 100 percent",),
             slots={"term_months": 48}),
        Step("at 4 percent", "loan_quote", "confirming"),
    )),
    Conversation("ambiguous values get a question back", (
        Step("I'd like a loan", "loan_quote", "collecting_loan"),
        Step("maybe twenty or thirty thousand", "loan_quote", "collecting_loan", contains=("more than one",)),
        Step("25,000", "loan_quote", "collecting_loan", contains=("months or years",), slots={"principal": "25000"}),
        Step("five", "loan_quote", "collecting_loan", contains=("5 months or 5 years",)),
        Step("five years", "loan_quote", "collecting_loan", slots={"term_months": 60}),
    )),
    Conversation("nonsense three times hands over to a person", (
        Step("I'd like to borrow some money", "loan_quote", "collecting_loan"),
        Step("purple elephants dance", "loan_quote", "collecting_loan", contains=("didn't catch",)),
        Step("mmm hmm uh", "loan_quote", "collecting_loan", contains=("didn't catch",)),
        Step("banana", "human_handoff", "handoff", contains=("member of our team",)),
        Step("hello?", "human_handoff", "handoff", contains=("Please hold",)),
    )),
    Conversation("silence-like input outside a flow", (
        Step("...", "out_of_scope", "start", contains=("can't help with that",)),
        Step("um", "out_of_scope", "start"),
        Step("goodbye", "goodbye", "ended"),
    )),
    Conversation("asking for a person", (
        Step("I want to speak to a human agent", "human_handoff", "handoff", contains=("member of our team",)),
    )),
    Conversation("lost card mid loan flow", (
        Step("I want a loan of $8,000", "loan_quote", "collecting_loan"),
        Step("wait, I think my credit card was stolen", "lost_card", "handoff", contains=("block the card",)),
    )),
    Conversation("mortgage", (
        Step("I'm looking for a mortgage", "mortgage", "collecting_loan", contains=("mortgage payment",)),
        Step("three hundred thousand", "mortgage", "collecting_loan", slots={"principal": "300000"}),
        Step("30 years", "mortgage", "collecting_loan", slots={"term_months": 360}),
        Step("seven percent", "mortgage", "confirming", contains=("a mortgage of $300,000",)),
        Step("sure", "mortgage", "quoted", contains=("mortgage estimate", "APR is 7.00%"),
             figures={"payment": "1995.91", "apr": "7.00"}),
    )),
    Conversation("balance and transfer are explained, not faked", (
        Step("what's my account balance", "balance", "start", contains=("mobile app",)),
        Step("I need to transfer money to my sister", "transfer", "start", contains=("can't make transfers",)),
        Step("thanks, bye", "goodbye", "ended", contains=("Goodbye",)),
    )),
    Conversation("follow-ups before any quote", (
        Step("what's the total interest?", "loan_quote", "collecting_loan", contains=("haven't quoted",)),
        Step("repeat that", "repeat", "collecting_loan", contains=("haven't quoted",)),
    )),
    Conversation("zero percent and a one month loan", (
        Step("borrow 1200 dollars over 12 months at 0 percent", "loan_quote", "confirming"),
        Step("yes", "loan_quote", "quoted", figures={"payment": "100.00", "apr": "0.00", "total": "1200.00"}),
        Step("and what about 1 month?", "loan_quote", "confirming", slots={"term_months": 1}),
        Step("yes", "loan_quote", "quoted", figures={"payment": "1200.00", "total": "1200.00"}),
    )),
    Conversation("a fresh request after a quote starts over", (
        Step("25000 dollars, 5 years, 6.5 percent", "loan_quote", "confirming"),
        Step("yes", "loan_quote", "quoted", figures=QUOTE_25K),
        Step("now I'd like a mortgage", "mortgage", "collecting_loan", contains=("How much",)),
    )),
)

"""The LLM figure guard: numbers in a reply must come from tool results or the caller's words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrator.llm.guard import figures_in, unbacked_figures

TOOL = {"payment": "489.15", "apr": "6.50", "total": "29349.20", "principal": "25000", "term_months": 60}


def test_figures_are_read_in_every_written_and_spoken_form():
    assert figures_in("A $1,995.91 payment at 6.5% over 60 months, twenty five thousand dollars") == [
        Decimal("1995.91"), Decimal("6.5"), Decimal("60"), Decimal("25000"),
    ]


def test_a_reply_made_of_tool_figures_and_the_callers_words_passes():
    reply = "For $25,000 over 5 years at 6.5%, you would pay $489.15 a month; APR 6.50%, total $29,349.20."
    assert unbacked_figures(reply, TOOL.values(), "I want to borrow 25k at 6.5 percent") == []


@pytest.mark.parametrize(
    ("reply", "invented"),
    [
        ("Your monthly payment would be $479.15.", [Decimal("479.15")]),
        ("The APR is 6.75%.", [Decimal("6.75")]),
        ("You would repay $31,000 in total.", [Decimal("31000")]),
        ("That is about four hundred ninety dollars a month.", [Decimal("490")]),
    ],
)
def test_invented_figures_are_flagged(reply, invented):
    assert unbacked_figures(reply, TOOL.values(), "25,000 over five years at six and a half percent") == invented


def test_small_counting_words_are_not_figures_to_guard():
    assert unbacked_figures("I can help with 3 things, one of them loans.", [], "hello") == []


def test_the_callers_own_numbers_back_a_reply_even_without_a_tool():
    assert unbacked_figures("You asked about $8,000.", [], "can I borrow 8,000 dollars") == []

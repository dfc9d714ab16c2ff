"""The figure guard: a generated table of role x figure x source, then real tool results and the known loopholes.

The table's expectation is the rule as the issue states it, written out here on its own: a figure is
backed by a tool figure of the same role and value (a percentage without "APR" also by the tool's APR),
or by the caller's own value in the same role, except that the caller never backs an APR or a fee.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.llm.guard import Figure, caller_figures, figures_in, unbacked_figures
from orchestrator.llm.tools import run_tool

# role -> (reply template, caller template, [(how the figure is said, the same value in other words, the value a
# tool returns for it: a number, a term in months)]). Dates and counts reach a tool result only as the FAQ's prose.
TABLE: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "amount": ("You could borrow up to {}.", "I want to borrow {}", [
        ("$25,000", "twenty five thousand dollars", "25000"), ("25000 dollars", "$25,000.00", "25000"),
        ("$7", "seven dollars", "7"),
    ]),
    "payment": ("The monthly payment is {}.", "I can pay {} a month", [
        ("$489.15", "489.15 dollars", "489.15"), ("$7", "seven dollars", "7"),
    ]),
    "fee": ("There is a fee of {}.", "the fee was {}", [
        ("$25", "twenty five dollars", "25"), ("$3", "three dollars", "3"),
    ]),
    "rate": ("The interest rate is {}.", "at an interest rate of {}", [
        ("6.5%", "six point five percent", "6.5"), ("7%", "seven percent", "7"),
        ("6.5 per cent", "six and a half percent", "6.5"),
    ]),
    "apr": ("The APR is {}.", "my friend's APR was {}", [
        ("6.5%", "six point five percent", "6.5"), ("7 percent", "seven percent", "7"),
        ("1.9%", "one point nine percent", "1.9"),
    ]),
    "term": ("You would repay it over {}.", "over {}", [
        ("60 months", "five years", "60"), ("5 years", "sixty months", "60"), ("12 months", "one year", "12"),
    ]),
    "date": ("We open at {}.", "can I come in at {}", [("9 am", "nine a.m.", ""), ("5 pm", "17:00", "")]),
    "count": ("We have {} branches in town.", "I have {} accounts", [
        ("3", "three", ""), ("12", "twelve", ""), ("0", "zero", ""),
    ]),
}
PROSE = {"date": ("We open at {}.", "We open at 11 am."), "count": ("We have {} branches in town.",
                                                                  "We have 40 branches in town.")}
CALLER_CAN_BACK = {"amount", "payment", "rate", "term", "date", "count"}  # never an APR or a fee
NUMERIC = ("amount", "payment", "fee", "rate", "apr", "term")
# A value written in each numeric role's own unit (for a source in another role than the reply's figure).
IN_UNIT = {"amount": "${}", "payment": "${}", "fee": "${}", "rate": "{}%", "apr": "{}%", "term": "{} months"}


def _tool(role: str, form: str, value: str, shift: bool) -> list[Figure]:
    """A tool result holding this figure (or, with ``shift``, another value) in ``role``."""
    if role in PROSE:
        same, other = PROSE[role]
        return figures_in(other if shift else same.format(form))
    figure = Figure.of(role, Decimal(value) + (1 if shift else 0))  # type: ignore[arg-type]
    assert figure is not None
    return [figure]


def _cases() -> list[object]:
    cases = []
    for role, (reply, _caller, forms) in TABLE.items():
        others = [r for r in NUMERIC if r != role][:3] if role in NUMERIC else []
        for (form, words, value), spoken in itertools.product(forms, ("as written", "in other words")):
            text = reply.format(form if spoken == "as written" else words)
            sources = {
                "tool, same role": ("tool", role, False),
                "tool, same role, another value": ("tool", role, True),
                "caller, same role": ("caller", role, False),
                "nothing": ("none", role, False),
                **{f"tool as {o}": ("tool", o, False) for o in others},
                **{f"caller as {o}": ("caller", o, False) for o in others},
            }
            for name, (kind, source_role, shift) in sources.items():
                cases.append(pytest.param(text, kind, source_role, form, value, shift, role,
                                          id=f"{role}|{text}|{name}"))
    return cases


def _expected(kind: str, source_role: str, reply_role: str, shift: bool) -> bool:
    if kind == "none" or shift:
        return False
    if kind == "caller":
        return source_role == reply_role and reply_role in CALLER_CAN_BACK
    return source_role == reply_role or (reply_role == "rate" and source_role == "apr")


@pytest.mark.parametrize(("reply", "kind", "source_role", "form", "value", "shift", "role"), _cases())
def test_a_figure_is_backed_only_in_its_own_role(reply, kind, source_role, form, value, shift, role):
    tools: list[Figure] = []
    caller: list[Figure] = []
    if kind == "tool":
        tools = _tool(source_role, form, value, shift)
    elif kind == "caller":
        said = form if source_role == role else IN_UNIT[source_role].format(value)
        caller = caller_figures(TABLE[source_role][1].format(said))
    backed = unbacked_figures(reply, tools, caller) == []
    assert backed is _expected(kind, source_role, role, shift), (figures_in(reply), tools, caller)


def test_the_table_is_large_and_every_figure_gets_the_role_it_was_written_for():
    assert len(_cases()) >= 300
    for role, (reply, _caller, forms) in TABLE.items():
        for form, same, _value in forms:
            assert [f.role for f in figures_in(reply.format(form))] == [role], form
            assert [f.role for f in figures_in(reply.format(same))] == [role], same


@pytest.mark.parametrize(("reply", "tool_months", "backed"), [
    ("over 5 years", 60, True), ("over five years", 60, True), ("over 60 months", 60, True),
    ("over 5 months", 60, False), ("over 60 years", 60, False), ("over one and a half years", 18, True),
    ("over 18 months", 18, True), ("over a 5-year term", 60, True), ("in 60 monthly payments", 60, True),
])
def test_years_and_months_are_one_term_and_never_each_others_numbers(reply, tool_months, backed):
    assert (unbacked_figures(reply, [Figure.of("term", tool_months)]) == []) is backed  # type: ignore[list-item]


def test_the_loopholes_the_review_found_are_closed():
    assert [f.key for f in unbacked_figures("Your APR is 7%.", [])] == [("apr", "7")]
    friend = caller_figures("my friend got 1.9 percent")
    assert [f.key for f in unbacked_figures("Your APR is 1.9%.", [], friend)] == [("apr", "1.9")]
    assert [f.key for f in unbacked_figures("I can help with 3 things.", [])] == [("count", "3")]
    assert unbacked_figures("One moment, no one is waiting; which one do you mean?", []) == []


def test_a_rules_style_quote_is_backed_by_the_quote_tool_and_a_swapped_one_is_not():
    tool = run_tool("loan_quote", {"principal": 25000, "annual_rate_percent": 6.5, "term_months": 60})
    quote = ("For $25,000 over 5 years at 6.5% a year, the monthly payment is $489.15, with a final payment of "
             "$489.35, and the APR is 6.50%. In total you would repay $29,349.20.")
    assert unbacked_figures(quote, tool.backing) == []
    swapped = "The monthly payment is $29,349.20 and in total you would repay $489.15."
    assert [f.role for f in unbacked_figures(swapped, tool.backing)] == ["payment", "amount"]
    assert [f.key for f in unbacked_figures("The APR is 489.15%.", tool.backing)] == [("apr", "489.15")]


def test_the_faq_tool_backs_its_own_hours_and_fees_and_nothing_else():
    hours = run_tool("bank_faq", {"question": "what are your opening hours"}).backing
    assert unbacked_figures("We are open from 9 am to 5 pm on weekdays.", hours) == []
    assert [f.key for f in unbacked_figures("We are open until 6 pm.", hours)] == [("date", "18:00")]
    fees = run_tool("bank_faq", {"question": "how much is an international transfer"}).backing
    assert unbacked_figures("An international transfer costs $25.", fees) == []
    assert [f.role for f in unbacked_figures("The monthly payment is $25.", fees)] == ["payment"]


@given(st.decimals(min_value=Decimal("1"), max_value=Decimal("999999.99"), places=2))
def test_any_payment_written_with_commas_and_cents_matches_only_a_payment(value):
    said = f"${value:,.2f}"
    payment, amount = Figure.of("payment", value), Figure.of("amount", value)
    assert unbacked_figures(f"The monthly payment is {said}.", [payment]) == []  # type: ignore[list-item]
    assert len(unbacked_figures(f"The monthly payment is {said}.", [amount])) == 1  # type: ignore[list-item]

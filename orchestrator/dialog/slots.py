"""Loan slot filling: turn the numbers in one utterance into slot values or a re-prompt.

The rule is "never guess": two different values for one slot, a range ("20
or 30 thousand"), a bare number the dialog did not ask for, or a term with
no unit all get a question back instead of a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orchestrator.dialog.quotes import format_money, format_rate, format_term
from orchestrator.domain.loans import MAX_MONTHS
from orchestrator.nlu.numbers import find_loan_mentions

__all__ = ["MAX_PRINCIPAL", "MIN_PRINCIPAL", "SLOTS", "SlotReading", "read_slots"]

SLOTS = ("principal", "term_months", "rate_percent")
# The bank's quoting limits (the domain enforces its own, wider ones too).
MIN_PRINCIPAL = Decimal(100)
MAX_PRINCIPAL = Decimal(10_000_000)
MAX_RATE = Decimal(100)


@dataclass(frozen=True, slots=True)
class SlotReading:
    """What one utterance says about the loan slots."""

    values: dict[str, Any] = field(default_factory=dict)  # accepted: str(Decimal) or int months
    problem: str | None = None  # why a value was not taken, said before the re-prompt
    problem_slot: str | None = None
    heard_numbers: bool = False

    @property
    def empty(self) -> bool:
        """No number at all in the utterance."""
        return not self.heard_numbers


def _fmt(values: tuple[Any, ...], slot: str) -> str:
    if slot == "principal":
        words = [format_money(v) for v in values]
    elif slot == "rate_percent":
        words = [format_rate(v) for v in values]
    else:
        words = [format_term(v) for v in values]
    return " and ".join(words)


def _check_range(slot: str, value: Any) -> str | None:
    if slot == "principal" and not MIN_PRINCIPAL <= value <= MAX_PRINCIPAL:
        return f"I can quote loans from {format_money(MIN_PRINCIPAL)} to {format_money(MAX_PRINCIPAL)}."
    if slot == "rate_percent" and not Decimal(0) <= value <= MAX_RATE:
        return f"The rate must be between 0 and {MAX_RATE} percent."
    if slot == "term_months" and not 1 <= value <= MAX_MONTHS:
        return f"The term must be between 1 and {MAX_MONTHS} months."
    return None


def read_slots(text: str, asked: str | None = None) -> SlotReading:
    """Read loan slot values from ``text``; ``asked`` is the slot the dialog just asked for."""
    m = find_loan_mentions(text)
    if m.empty:
        return SlotReading()
    if m.alternatives:
        slot = asked or next(
            (s for s, v in zip(SLOTS, (m.amounts, m.terms, m.rates), strict=True) if v), "principal"
        )
        return SlotReading(
            problem="I heard more than one value. Please give me just one.", problem_slot=slot, heard_numbers=True
        )
    found: dict[str, tuple[Any, ...]] = {}
    amounts = m.marked_amounts or m.amounts
    if amounts:
        found["principal"] = amounts
    if m.rates:
        found["rate_percent"] = m.rates
    if m.terms:
        found["term_months"] = m.terms
    problems: list[tuple[str, str]] = []
    if m.bad_terms:
        problems.append(("term_months", "The term must be a whole number of months."))
    if not found and not m.bad_terms and m.bare:
        # A number with no unit answers only the question just asked.
        if len(m.bare) > 1:
            problems.append((asked or "principal", "I heard more than one number."))
        elif asked == "rate_percent":
            found["rate_percent"] = m.bare
        elif asked == "principal":
            found["principal"] = m.bare
        elif asked == "term_months":
            n = m.bare[0].normalize()
            problems.append(("term_months", f"Is that {n:f} months or {n:f} years?"))
        else:
            n = m.bare[0].normalize()
            problems.append((asked or "principal", f"I'm not sure what {n:f} refers to."))
    values: dict[str, Any] = {}
    for slot in SLOTS:
        candidates = found.get(slot)
        if not candidates:
            continue
        if len(candidates) > 1:
            problems.append((slot, f"I heard {_fmt(candidates, slot)}. Which one should I use?"))
            continue
        value = candidates[0]
        if (problem := _check_range(slot, value)) is not None:
            problems.append((slot, problem))
            continue
        values[slot] = value if slot == "term_months" else str(value.normalize() if slot == "rate_percent" else value)
    if not problems:
        return SlotReading(values=values, heard_numbers=True)
    slot, problem = problems[0]
    return SlotReading(values=values, problem=problem, problem_slot=slot, heard_numbers=True)

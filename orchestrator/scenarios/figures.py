"""Figures read back out of what the bot said (its reply text, or Whisper's transcript of its voice).

The scenario checks parse figures themselves instead of trusting the
dialog's ``figures`` field, so a reply whose words and numbers disagree is
caught. Spoken numbers are digitized first ("four hundred eighty-nine
dollars and fifteen cents" is 489.15).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from orchestrator.nlu.numbers import digitize

__all__ = ["Figure", "stated_figures"]

Kind = Literal["money", "percent", "months"]

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    # "489 dollars and 15 cents", "489 dollars 15 cents"
    ("money", re.compile(rf"(?<![\w.$]){_NUM}\s*dollars?,?\s+(?:and\s+)?(\d{{1,2}})\s*cents?\b", re.I)),
    ("money", re.compile(rf"\$\s?{_NUM}", re.I)),
    ("money", re.compile(rf"(?<![\w.$]){_NUM}\s*(?:dollars?|bucks|usd)\b", re.I)),
    ("percent", re.compile(rf"(?<![\w.]){_NUM}\s*(?:%|percent\b|per\s*cent\b)", re.I)),
    ("months", re.compile(rf"(?<![\w.]){_NUM}\s*(months?|years?)\b", re.I)),
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure as stated: its kind and its value (a term in months)."""

    kind: Kind
    value: Decimal

    @property
    def text(self) -> str:
        """The figure written out: "$25,000", "$489.15", "6.5%", "60 months"."""
        if self.kind == "money":
            whole = self.value == self.value.to_integral_value()
            return f"${self.value:,.0f}" if whole else f"${self.value:,.2f}"
        if self.kind == "percent":
            return f"{self.value}%"
        return f"{self.value} months"


def _decimal(whole: str, frac: str | None) -> Decimal | None:
    try:
        return Decimal(f"{whole.replace(',', '')}.{frac}" if frac else whole.replace(",", ""))
    except InvalidOperation:
        return None


def stated_figures(text: str) -> list[Figure]:
    """Money amounts, percentages and terms in ``text``, in order; each span is read once."""
    norm = digitize(text)
    found: list[tuple[int, Figure]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(norm):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            value = _decimal(m.group(1), m.group(2))
            if value is None:
                continue
            if pattern.groups == 3 and kind == "money":  # dollars and cents said apart
                value += Decimal(m.group(3).rjust(2, "0")) / 100
            if kind == "months" and m.group(3).lower().startswith("year"):
                value *= 12
            taken.append(m.span())
            found.append((m.start(), Figure(kind, value)))
    return [figure for _, figure in sorted(found, key=lambda item: item[0])]

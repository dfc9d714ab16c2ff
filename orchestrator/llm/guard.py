"""The figure guard: every number an LLM says must come from a tool result or the caller's own words.

An LLM phrases answers; the domain computes them. ``unbacked_figures`` lists
each money amount, percentage or other number in a reply that matches
nothing in the turn's tool results or what the caller said, so the pipeline
can flag it and answer with the rules backend instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from orchestrator.nlu.numbers import digitize

__all__ = ["figures_in", "unbacked_figures"]

# Money ($1,995.91), percentages (6.5%), and plain numbers (60, 1.5); commas as thousands separators.
_FIGURE_RE = re.compile(r"(?<![\w.])\$?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s?(%|percent\b)?", re.IGNORECASE)
# Small counting words ("one of", "2 options") are not figures worth guarding.
_TRIVIAL = {Decimal(n) for n in range(0, 13)}


def figures_in(text: str) -> list[Decimal]:
    """Every number in ``text`` (spoken numbers included), as Decimals, in order."""
    found = []
    for match in _FIGURE_RE.finditer(digitize(text)):
        whole, frac = match.group(1).replace(",", ""), match.group(2)
        try:
            found.append(Decimal(f"{whole}.{frac}" if frac else whole))
        except InvalidOperation:
            continue
    return found


def _backing(values: Iterable[object]) -> set[Decimal]:
    backed: set[Decimal] = set()
    for value in values:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            continue
        backed.add(number.normalize())
        if number == number.to_integral_value() and number % 12 == 0 and number > 0:
            backed.add((number / 12).normalize())  # 60 months said as 5 years
    return backed


def unbacked_figures(reply: str, tool_values: Iterable[object], user_text: str) -> list[Decimal]:
    """Figures in ``reply`` backed by neither the tool results nor the caller's words."""
    backed = _backing(tool_values) | _backing(figures_in(user_text))
    unbacked = []
    for figure in figures_in(reply):
        normal = figure.normalize()
        if normal in _TRIVIAL or normal in backed:
            continue
        unbacked.append(figure)
    return unbacked

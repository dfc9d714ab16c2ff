"""Shared by the loan tests: a float annuity, half-up cents, the lender's month-by-month loop."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from orchestrator.domain.loans import (
    CENT,
)

__all__ = ["COLUMNS", "MONEY", "D", "annuity_float", "half_up", "rows_of", "schedule_by_hand"]

D = Decimal
COLUMNS = ["period", "payment", "interest", "principal", "balance"]
MONEY = COLUMNS[1:]


def annuity_float(principal: float, annual_percent: float, months: int) -> float:
    """The textbook annuity formula in plain floats: P*r / (1 - (1+r)^-n), r = annual/1200."""
    r = annual_percent / 1200.0
    if r == 0:
        return principal / months
    return principal * r / (1.0 - (1.0 + r) ** -months)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule_by_hand(principal: Decimal, annual: Decimal, months: int, payment: Decimal) -> list[tuple[Decimal, ...]]:
    """The lender's month-by-month loop, written independently of the vectorised code.

    Rows are (payment, interest, principal, balance); the last payment clears the balance.
    """
    balance, rows = principal, []
    for month in range(1, months + 1):
        # balance * annual is exact, so a tie such as 0.275 is seen as one (annual / 1200 first is not exact).
        interest = half_up(balance * annual / 1200)
        pay = payment if month < months else balance + interest
        balance = balance + interest - pay
        rows.append((pay, interest, pay - interest, balance))
    return rows


def rows_of(frame: pd.DataFrame) -> list[tuple[Decimal, ...]]:
    return [tuple(row) for row in frame[MONEY].itertuples(index=False)]

"""A quote's amortization schedule as the browser shows it: a table and a balance chart.

The table keeps the first and last rows plus the totals, so a 30-year
mortgage stays readable. The chart is a matplotlib ``Figure`` built without
pyplot (no global state, safe off the event loop's thread).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from orchestrator.dialog.quotes import format_money
from orchestrator.domain.loans import amortization_schedule

__all__ = ["ScheduleView", "schedule_view"]

_COLUMNS = ("period", "payment", "interest", "principal", "balance")


@dataclass(frozen=True)
class ScheduleView:
    """What the browser renders under a quote."""

    table_markdown: str
    figure: Figure
    png: bytes  # the chart, rendered once off the event loop
    periods: int
    total_payment: Decimal
    total_interest: Decimal


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _money_cells(record: Any) -> list[str]:
    return [str(int(record["period"]))] + [format_money(Decimal(str(record[c])), cents=True) for c in _COLUMNS[1:]]


def schedule_view(slots: dict[str, Any], head: int = 3, tail: int = 3) -> ScheduleView | None:
    """The table and chart for the loan in ``slots``; None unless principal, rate and term are all there."""
    try:
        principal = Decimal(str(slots["principal"]))
        rate = Decimal(str(slots["rate_percent"]))
        months = int(slots["term_months"])
    except (KeyError, ValueError, ArithmeticError):
        return None
    frame = amortization_schedule(principal, rate, months)
    records = frame.to_dict("records")
    total_payment = sum((Decimal(str(r["payment"])) for r in records), Decimal(0))
    total_interest = sum((Decimal(str(r["interest"])) for r in records), Decimal(0))
    total_principal = sum((Decimal(str(r["principal"])) for r in records), Decimal(0))

    lines = [_row(["Month", "Payment", "Interest", "Principal", "Balance"]), _row(["---:"] * 5)]
    shown = records if len(records) <= head + tail else [*records[:head], None, *records[-tail:]]
    for record in shown:
        lines.append(_row(["…"] * 5) if record is None else _row(_money_cells(record)))
    lines.append(
        _row(["**Total**", f"**{format_money(total_payment, cents=True)}**",
              f"**{format_money(total_interest, cents=True)}**",
              f"**{format_money(total_principal, cents=True)}**", ""])
    )
    figure = _balance_chart(records, principal)
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=120)
    return ScheduleView(
        table_markdown="\n".join(lines),
        figure=figure,
        png=image.getvalue(),
        periods=len(records),
        total_payment=total_payment,
        total_interest=total_interest,
    )


def _balance_chart(records: list[dict[str, Any]], principal: Decimal) -> Figure:
    periods = [0] + [int(r["period"]) for r in records]
    balances = [float(principal)] + [float(Decimal(str(r["balance"]))) for r in records]
    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.add_subplot()
    axes.plot(periods, balances, color="#1f5fa8", linewidth=2)
    axes.fill_between(periods, balances, color="#1f5fa8", alpha=0.12)
    axes.set_xlabel("Month")
    axes.set_ylabel("Balance owed")
    axes.set_title("Balance over time")
    axes.set_xlim(0, periods[-1])
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${value:,.0f}"))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure

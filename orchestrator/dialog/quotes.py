"""Loan quotes as the bank says them: figures from the domain, words for the caller.

Every quote names the APR, gives the total repayable and says it is an
estimate, not an offer (Regulation Z's terms: APR, finance charge, total of
payments).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orchestrator.dialog.phrases import ESTIMATE_LEAD, NOT_AN_OFFER
from orchestrator.domain.loans import (
    apr_for_level_payments,
    final_payment,
    finance_charge,
    monthly_payment,
    total_of_payments,
)

__all__ = ["Quote", "format_money", "format_rate", "format_term", "make_quote"]


def format_money(value: Decimal, cents: bool = False) -> str:
    """``Decimal("25000") -> "$25,000"``, ``Decimal("489.15") -> "$489.15"``; ``cents`` forces ".00"."""
    if not cents and value == value.to_integral_value():
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def format_rate(value: Decimal) -> str:
    """``Decimal("6.50") -> "6.5%"``."""
    return f"{value.normalize():f}%"


def format_term(months: int) -> str:
    """``60 -> "60 months"``, ``1 -> "1 month"``."""
    return f"{months} month{'' if months == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Quote:
    """The figures of one loan estimate, all exact ``Decimal``."""

    principal: Decimal
    rate_percent: Decimal
    term_months: int
    payment: Decimal
    final_payment: Decimal
    apr: Decimal
    total: Decimal
    total_interest: Decimal

    def figures(self) -> dict[str, str]:
        """The quoted figures as strings, for events, scenarios and the UI."""
        return {
            "payment": str(self.payment),
            "final_payment": str(self.final_payment),
            "apr": str(self.apr),
            "total": str(self.total),
            "total_interest": str(self.total_interest),
        }

    def _terms(self) -> str:
        return (
            f"For {format_money(self.principal)} over {format_term(self.term_months)} "
            f"at {format_rate(self.rate_percent)} a year"
        )

    def _final_note(self) -> str:
        if self.final_payment == self.payment:
            return ""
        return f", with a final payment of {format_money(self.final_payment, cents=True)}"

    def text(self, lead: str = ESTIMATE_LEAD) -> str:
        """The spoken quote: payment, APR, total repayable, and that it is not an offer."""
        return (
            f"{lead} {self._terms()}, the monthly payment is {format_money(self.payment, cents=True)}"
            f"{self._final_note()}, and the APR is {self.apr:.2f}%. "
            f"In total you would repay {format_money(self.total, cents=True)}. {NOT_AN_OFFER}"
        )

    def interest_text(self) -> str:
        """The answer to "what's the total interest?"."""
        return (
            f"The total interest is {format_money(self.total_interest, cents=True)} "
            f"over {format_term(self.term_months)}, at an APR of {self.apr:.2f}%. "
            f"In total you would repay {format_money(self.total, cents=True)}. {NOT_AN_OFFER}"
        )

    def schedule_text(self) -> str:
        """The answer to "show me the schedule" (the table and chart go on screen)."""
        if self.term_months == 1:
            payments = f"one payment of {format_money(self.final_payment, cents=True)}"
        elif self.final_payment == self.payment:
            payments = f"{self.term_months} monthly payments of {format_money(self.payment, cents=True)}"
        else:
            payments = (
                f"{self.term_months - 1} monthly payments of {format_money(self.payment, cents=True)} "
                f"and a final payment of {format_money(self.final_payment, cents=True)}"
            )
        return (
            f"Here is the payment schedule: {payments}, at an APR of {self.apr:.2f}%. "
            f"The table and the balance chart are on screen. "
            f"In total you would repay {format_money(self.total, cents=True)}. {NOT_AN_OFFER}"
        )


def make_quote(slots: dict[str, Any]) -> Quote:
    """Price the loan in ``slots`` (principal, rate_percent, term_months).

    Raises ``LoanInputError`` (a ``ValueError``) when the domain refuses it.
    """
    principal = Decimal(str(slots["principal"]))
    rate = Decimal(str(slots["rate_percent"]))
    months = int(slots["term_months"])
    payment = monthly_payment(principal, rate, months)
    last = final_payment(principal, rate, months)
    return Quote(
        principal=principal,
        rate_percent=rate,
        term_months=months,
        payment=payment,
        final_payment=last,
        apr=apr_for_level_payments(principal, payment, months, last),
        total=total_of_payments(principal, rate, months),
        total_interest=finance_charge(principal, rate, months),
    )

"""Loan arithmetic in ``Decimal``: pure functions, no I/O.

Money is rounded to cents with ROUND_HALF_UP, as lenders quote it. Rates
are annual percentages (6.5 means 6.5 %), compounded monthly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "LoanInputError",
    "apr_for_level_payments",
    "finance_charge",
    "monthly_payment",
    "total_of_payments",
]

CENT = Decimal("0.01")
MAX_MONTHS = 600


class LoanInputError(ValueError):
    """Loan inputs outside what the bank quotes."""


def _validate(principal: Decimal, annual_rate_percent: Decimal, months: int) -> None:
    if principal <= 0:
        raise LoanInputError(f"principal must be greater than 0, got {principal}")
    if not Decimal(0) <= annual_rate_percent <= Decimal(100):
        raise LoanInputError(f"annual rate must be between 0 and 100 percent, got {annual_rate_percent}")
    if not 1 <= months <= MAX_MONTHS:
        raise LoanInputError(f"term must be between 1 and {MAX_MONTHS} months, got {months}")


def monthly_payment(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Level monthly payment that repays ``principal`` in ``months``, in cents."""
    principal, rate = Decimal(principal), Decimal(annual_rate_percent)
    _validate(principal, rate, months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = rate / Decimal(1200)
        exact = principal / months if r == 0 else principal * r / (1 - (1 + r) ** -months)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def total_of_payments(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Reg Z "total of payments": what the borrower pays over the term (level payments)."""
    return monthly_payment(principal, annual_rate_percent, months) * months


def finance_charge(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Reg Z "finance charge" for a loan with no fees: total of payments less principal."""
    return total_of_payments(principal, annual_rate_percent, months) - Decimal(principal)


def apr_for_level_payments(amount_financed: Decimal, payment: Decimal, months: int) -> Decimal:
    """Annual percentage rate (2 places) of ``months`` level monthly payments.

    Solves amount_financed = payment * (1 - (1 + i)^-n) / i for the monthly
    rate i by bisection, then APR = 12 * i (the actuarial method for regular
    monthly payments, Reg Z App. J (b)(8) with no odd period).
    """
    amount, pay = Decimal(amount_financed), Decimal(payment)
    if amount <= 0 or pay <= 0 or months < 1:
        raise LoanInputError("amount financed, payment and term must all be positive")
    if pay * months < amount:
        raise LoanInputError("payments do not cover the amount financed")
    with localcontext() as ctx:
        ctx.prec = 40

        def present_value(i: Decimal) -> Decimal:
            return pay * months if i == 0 else pay * (1 - (1 + i) ** -months) / i

        low, high = Decimal(0), Decimal(1)
        for _ in range(100):
            mid = (low + high) / 2
            if present_value(mid) > amount:
                low = mid
            else:
                high = mid
        annual = (low + high) / 2 * 1200
    return annual.quantize(CENT, rounding=ROUND_HALF_UP)

"""Loan arithmetic in ``Decimal``: pure functions, no I/O.

Money is rounded to cents with ROUND_HALF_UP, as lenders quote it. Rates
are annual percentages (6.5 means 6.5 %), compounded monthly.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "LoanInputError",
    "apr_for_level_payments",
    "final_payment",
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


def _last_payment(principal: Decimal, r: Decimal, months: int, payment: Decimal) -> Decimal:
    """What the last of ``months`` payments must be after ``months - 1`` of ``payment`` (prec 40)."""
    k = months - 1
    if r == 0:
        balance = principal - payment * k
    else:
        growth = (1 + r) ** k
        balance = principal * growth - payment * (growth - 1) / r
    return (balance * (1 + r)).quantize(CENT, rounding=ROUND_HALF_UP)


def _schedule_payments(principal: Decimal, annual_rate_percent: Decimal, months: int) -> tuple[Decimal, Decimal]:
    """(level payment, final payment) in cents for a fully amortizing monthly loan."""
    principal, rate = Decimal(principal), Decimal(annual_rate_percent)
    _validate(principal, rate, months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = rate / Decimal(1200)
        exact = principal / months if r == 0 else principal * r / (1 - (1 + r) ** -months)
        payment = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        last = _last_payment(principal, r, months, payment)
        if last <= 0:
            # Rounding up would repay the loan before its last month: round down
            # instead, so the final payment absorbs a (positive) shortfall.
            payment = exact.quantize(CENT, rounding=ROUND_DOWN)
            last = _last_payment(principal, r, months, payment)
    if payment <= 0:
        raise LoanInputError(
            f"principal {principal} is too small to repay over {months} months (under one cent a month)"
        )
    return payment, last


def monthly_payment(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Level monthly payment that repays ``principal`` in ``months``, in cents.

    Rounded half-up to the cent (down when half-up would repay the loan early);
    the last payment absorbs the rounding (see ``final_payment``).
    """
    return _schedule_payments(principal, annual_rate_percent, months)[0]


def final_payment(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """The last payment, which absorbs the cent rounding so the loan ends at exactly 0.00."""
    return _schedule_payments(principal, annual_rate_percent, months)[1]


def total_of_payments(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Reg Z "total of payments": every level payment plus the final one."""
    payment, last = _schedule_payments(principal, annual_rate_percent, months)
    return payment * (months - 1) + last


def finance_charge(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Reg Z "finance charge" for a loan with no fees: total of payments less principal."""
    return total_of_payments(principal, annual_rate_percent, months) - Decimal(principal)


def apr_for_level_payments(
    amount_financed: Decimal, payment: Decimal, months: int, final: Decimal | None = None
) -> Decimal:
    """Annual percentage rate (2 places) of monthly payments: ``months - 1`` of ``payment``, then ``final``.

    Solves amount_financed = sum of payments discounted at the monthly rate i
    by bisection, then APR = 12 * i (the actuarial method for regular monthly
    payments, Reg Z App. J (b)(8) with no odd first period). ``final``
    defaults to ``payment`` (all payments level).
    """
    amount, pay = Decimal(amount_financed), Decimal(payment)
    last = pay if final is None else Decimal(final)
    if amount <= 0 or pay <= 0 or last <= 0 or months < 1:
        raise LoanInputError("amount financed, payments and term must all be positive")
    if pay * (months - 1) + last < amount:
        raise LoanInputError("payments do not cover the amount financed")
    with localcontext() as ctx:
        ctx.prec = 40

        def present_value(i: Decimal) -> Decimal:
            if i == 0:
                return pay * (months - 1) + last
            v = 1 / (1 + i)
            return pay * (1 - v ** (months - 1)) / i + last * v**months

        low, high = Decimal(0), Decimal(1)
        for _ in range(100):
            mid = (low + high) / 2
            if present_value(mid) > amount:
                low = mid
            else:
                high = mid
        annual = (low + high) / 2 * 1200
    return annual.quantize(CENT, rounding=ROUND_HALF_UP)

"""Loan arithmetic in ``Decimal``: pure functions, no I/O.

Money is rounded to cents with ROUND_HALF_UP, as lenders quote it. Rates
are annual percentages (6.5 means 6.5 %), compounded monthly. Inputs may be
``int``, ``str`` or ``Decimal``; floats are refused, because a float such as
0.1 is not the number the caller said.

Regulation Z's words are used for the totals: the *total of payments*, the
*finance charge* (here, with no fees, the total interest) and the *APR*
(computed by Appendix J in ``orchestrator.domain.apr``).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.domain.apr import AprInputError, PaymentStream, apr

__all__ = [
    "CENT",
    "MAX_MONTHS",
    "LoanInputError",
    "PaymentStream",
    "amortization_schedule",
    "apr",
    "apr_for_level_payments",
    "final_payment",
    "finance_charge",
    "max_principal",
    "monthly_payment",
    "total_interest",
    "total_of_payments",
]

CENT = Decimal("0.01")
MAX_MONTHS = 600


class LoanInputError(AprInputError):
    """Loan inputs outside what the bank quotes (a ``ValueError``)."""


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, int | str | Decimal):
        raise LoanInputError(f"{what} must be an int, a str or a Decimal, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise LoanInputError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise LoanInputError(f"{what} must be a finite number, got {value}")
    return number


def _months(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LoanInputError(f"term must be a whole number of months, got {value!r}")
    return value


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
    principal, rate = _number(principal, "principal"), _number(annual_rate_percent, "annual rate")
    months = _months(months)
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
    if last - payment > principal / 2:
        # At a high rate over a long term, a cent off the level payment compounds into a
        # balloon: the last payment would carry over half the loan. That is no level schedule.
        raise LoanInputError(
            f"at {rate}% over {months} months the loan cannot be repaid in level whole-cent payments "
            "(the last one would carry over half the loan); "
            "choose a shorter term or a lower rate"
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
    """APR (percent, 2 places) of monthly payments: ``months - 1`` of ``payment``, then ``final``.

    Appendix J's actuarial method with a regular first period; ``final``
    defaults to ``payment`` (all payments level).
    """
    pay = _number(payment, "payment")
    last = pay if final is None else _number(final, "final payment")
    months = _months(months)
    if months < 1:
        raise LoanInputError(f"term must be at least 1 month, got {months}")
    streams = [PaymentStream(last, 1, months)]
    if months > 1:
        streams.insert(0, PaymentStream(pay, months - 1, 1))
    try:
        return apr(_number(amount_financed, "amount financed"), streams, 12)
    except LoanInputError:
        raise
    except AprInputError as exc:
        raise LoanInputError(str(exc)) from None


def total_interest(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """All the interest paid over the loan: the schedule's interest column, summed."""
    return finance_charge(principal, annual_rate_percent, months)


def amortization_schedule(principal: Decimal, annual_rate_percent: Decimal, months: int) -> pd.DataFrame:
    """The month-by-month schedule: ``period``, ``payment``, ``interest``, ``principal``, ``balance``.

    Money columns hold exact ``Decimal`` cents (object dtype). Convention:
    ``balance`` after period k is the actuarial balance
    ``P(1+r)^k - pmt((1+r)^k - 1)/r`` rounded half-up to the cent;
    ``principal`` is the fall in balance and ``interest`` the rest of the
    payment. Every payment but the last is ``monthly_payment``; the last is
    ``final_payment``, which absorbs the rounding so the balance ends at
    exactly 0.00. So each row satisfies
    ``previous balance - principal == balance`` and
    ``interest + principal == payment``, and the columns sum to the totals.
    Interest is never negative: each balance is within half a cent of the
    exact one, so the rounded interest is within a cent of ``r`` times the
    previous exact balance, which is at least 0.

    Computed on whole columns with numpy (Decimal object arrays at 40 digits),
    without a Python loop over the rows.
    """
    payment, last = _schedule_payments(principal, annual_rate_percent, months)
    p = _number(principal, "principal")
    r = _number(annual_rate_percent, "annual rate") / Decimal(1200)
    with localcontext() as ctx:
        ctx.prec = 40
        k = np.arange(1, months, dtype=object)  # balances after periods 1 .. months-1
        if r == 0:
            exact = p - payment * k
        else:
            growth = (1 + r) ** k
            exact = p * growth - payment * (growth - 1) / r
        # Half-up to the cent on the whole column: floor(x * 100 + 1/2) / 100 for x >= 0.
        cents = (exact * 100 + Decimal("0.5")) // 1
        inner = cents * CENT if months > 1 else np.empty(0, dtype=object)
    balance = np.concatenate([inner, np.array([Decimal("0.00")], dtype=object)])
    previous = np.concatenate([np.array([p], dtype=object), inner])
    payments = np.full(months, payment, dtype=object)
    payments[-1] = last
    principal_paid = previous - balance
    interest = payments - principal_paid
    return pd.DataFrame(
        {
            "period": np.arange(1, months + 1, dtype=np.int64),
            "payment": payments,
            "interest": interest,
            "principal": principal_paid,
            "balance": balance,
        }
    )


def max_principal(monthly_budget: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """The largest principal, in cents, whose ``monthly_payment`` fits within ``monthly_budget``."""
    budget = _number(monthly_budget, "monthly budget")
    rate = _number(annual_rate_percent, "annual rate")
    months = _months(months)
    if budget <= 0:
        raise LoanInputError(f"monthly budget must be greater than 0, got {budget}")
    _validate(Decimal(1), rate, months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = rate / Decimal(1200)
        factor = Decimal(months) if r == 0 else (1 - (1 + r) ** -months) / r
        estimate = (budget * factor).quantize(CENT, rounding=ROUND_DOWN)

    def fits(cents: int) -> bool:
        return monthly_payment(Decimal(cents) * CENT, rate, months) <= budget

    # The estimate is within a few cents; search a bracket around it.
    low = max(1, int(estimate / CENT) - months - 2)
    high = int(estimate / CENT) + months + 2
    if not fits(low):
        low = 1
        if not fits(low):
            raise LoanInputError(f"a budget of {budget} a month cannot repay even one cent over {months} months")
    while fits(high):
        high *= 2
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    return Decimal(low) * CENT

"""Level-payment loan arithmetic, exact to the cent: pure functions, no I/O.

Money is ``Decimal`` in and out, rounded to cents with ROUND_HALF_UP as
lenders quote it; inside, it is whole cents in Python ``int`` and the
monthly rate an exact ``Fraction``, so nothing is ever approximated. Rates
are annual percentages (6.5 means 6.5 %), compounded monthly:
``r = annual / 1200``.

Inputs may be ``int``, ``str`` or ``Decimal`` (``Fraction`` and ``"a/b"``
strings work too). Floats are refused, because a float such as 0.1 is not
the number the caller said; so are bools, NaN and infinities. A principal
must be a whole number of cents and a rate may have at most six decimal
places. Every refusal is a ``LoanInputError`` (a ``ValueError``) whose
message names the input and what is wrong with it.

The schedule (see ``amortization_schedule``): every month but the last the
borrower pays the level ``monthly_payment``; each month's interest is the
previous balance times ``r``, rounded half-up to the cent; the last payment
(``final_payment``) is whatever brings the balance to exactly 0.00.

Regulation Z's words are used for the totals: the *total of payments*, the
*finance charge* (with no fees, the total interest) and the *APR*
(Appendix J, in ``orchestrator.domain.apr``, re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, localcontext
from fractions import Fraction
from functools import lru_cache
from numbers import Integral
from typing import Any, overload

import numpy as np
import pandas as pd

from orchestrator.domain.apr import LoanInputError, Number, PaymentStream, apr, exact_number

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
RATE_PLACES = 6  # decimal places an annual rate may have; the solver's integers grow with them
_EXACT = Context(prec=100, traps=[Inexact])  # cents to dollars: exact, or an error, never rounded


# -- inputs ------------------------------------------------------------------------------


def _cents(value: object, what: str) -> int:
    """A positive amount of money as whole cents."""
    number = exact_number(value, what)
    if number <= 0:
        raise LoanInputError(f"{what} must be greater than 0, got {value}")
    cents = Fraction(number) * 100
    if cents.denominator != 1:
        raise LoanInputError(f"{what} must be a whole number of cents, got {value}")
    return int(cents)


def _monthly_rate(value: object) -> Fraction:
    """``annual_rate_percent / 1200``, exactly."""
    number = exact_number(value, "annual rate")
    if not 0 <= number <= 100:
        raise LoanInputError(f"annual rate must be between 0 and 100 percent, got {value}")
    rate = Fraction(number)
    if (rate * 10**RATE_PLACES).denominator != 1:
        raise LoanInputError(f"annual rate may have at most {RATE_PLACES} decimal places, got {value}")
    return rate / 1200


def _term(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise LoanInputError(f"term must be a whole number of months, got {value!r}")
    months = int(value)
    if not 1 <= months <= MAX_MONTHS:
        raise LoanInputError(f"term must be between 1 and {MAX_MONTHS} months, got {months}")
    return months


@dataclass(frozen=True, slots=True)
class _Terms:
    """A validated loan: principal in cents, monthly rate ``n / d`` in lowest terms, months."""

    principal: int
    n: int
    d: int
    months: int

    @property
    def rate(self) -> Fraction:
        return Fraction(self.n, self.d)


def _terms(principal: object, annual_rate_percent: object, months: object) -> _Terms:
    cents = _cents(principal, "principal")
    rate = _monthly_rate(annual_rate_percent)
    return _Terms(cents, rate.numerator, rate.denominator, _term(months))


def _dollars(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2, context=_EXACT)


# -- the exact schedule --------------------------------------------------------------------


@overload
def _half_up(num: int, den: int) -> int: ...
@overload
def _half_up(num: np.ndarray, den: int | np.ndarray) -> np.ndarray: ...
def _half_up(num: Any, den: Any) -> Any:
    """``num / den`` rounded half-up to a whole number (``den > 0``); ints or numpy object arrays of ints."""
    return (2 * num + den) // (2 * den)


def _exact_payment(t: _Terms) -> Fraction:
    """The annuity payment ``P r / (1 - (1 + r)^-n)`` in cents, unrounded."""
    if t.n == 0:
        return Fraction(t.principal, t.months)
    growth = (1 + t.rate) ** t.months
    return t.principal * t.rate * growth / (growth - 1)


def _balances(t: _Terms, payment: int) -> np.ndarray:
    """Balances in cents after payments 1 .. months-1 of ``payment``, by the rounded-interest recurrence.

    ``b[k] = b[k-1] + half_up(b[k-1] * r) - payment``. Rounding makes the
    recurrence non-linear, so it is solved on whole columns, exactly, in
    integers: write ``half_up(b r) = b r + e`` and take the rounding errors
    ``e`` from the current guess of the balances; the recurrence is then
    linear with a closed form, evaluated for every row at once as a
    cumulative sum over a common denominator. Round that to cents for the
    next guess; stop when the guess satisfies the recurrence exactly.
    Each pass makes at least one more leading balance exact (its errors ``e``
    come from balances already exact), so at most ``months`` passes are
    needed; in practice a handful to a few dozen.
    """
    m = t.months - 1
    k = np.arange(1, m + 1, dtype=object)
    if t.n == 0 or m == 0:
        return t.principal - payment * k
    n, d, g = t.n, t.d, t.d + t.n  # 1 + r = g / d
    # With c = d * e (an integer): d * b[k] = g * b[k-1] + c[k] - d * payment, so
    # b[k] = (g^m b0 + sum_{j<=k} d^(j-1) g^(m-j) (c[j] - d payment)) / (d^k g^(m-k)).
    d_powers = np.cumprod(np.full(m, d, dtype=object)) // d  # d^(j-1), j = 1 .. m
    g_powers = np.cumprod(np.full(m, g, dtype=object))[::-1] // g  # g^(m-j)
    weight = d_powers * g_powers
    scale = weight * d
    start = g**m * t.principal
    c = np.zeros(m, dtype=object)
    for _ in range(m + 1):
        balance = _half_up(start + np.cumsum(weight * (c - d * payment)), scale)
        previous = np.concatenate((np.array([t.principal], dtype=object), balance[:-1]))
        interest = _half_up(previous * n, d)
        if np.array_equal(previous + interest - payment, balance):
            return balance
        c = interest * d - previous * n
    raise AssertionError("the balance recurrence did not settle")  # unreachable, see the docstring


class _FinalPayment:
    """The last payment after ``months - 1`` level payments: bounded cheaply, solved only when needed.

    Each rounding moves a balance by at most half a cent, so the exact
    final payment lies within ``(1 + r) S / 2 + 1/2`` cents of the unrounded
    closed form, ``S`` being the sum of ``(1 + r)^j`` for ``j < months - 1``.
    """

    def __init__(self, t: _Terms, payment: int) -> None:
        self.t, self.payment = t, payment
        m, r = t.months - 1, t.rate
        growth = (1 + r) ** m
        owed = t.principal * growth - payment * ((growth - 1) / r if r else m)
        spread = ((growth - 1) / r * (1 + r) + 1) / 2 if r else Fraction(0)
        self.low, self.high = owed * (1 + r) - spread, owed * (1 + r) + spread
        self._balances: np.ndarray | None = None

    def balances(self) -> np.ndarray:
        """Balances after payments 1 .. months-1 (read-only object array of int cents)."""
        if self._balances is None:
            balances = _balances(self.t, self.payment)
            balances.flags.writeable = False
            self._balances = balances
        return self._balances

    def exact(self) -> int:
        """The final payment in cents."""
        balances = self.balances()
        owed = int(balances[-1]) if len(balances) else self.t.principal
        return owed + _half_up(owed * self.t.n, self.t.d)

    def at_most(self, limit: Fraction | int) -> bool:
        """Whether the final payment is at most ``limit`` cents."""
        if self.high <= limit:
            return True
        if self.low > limit:
            return False
        return self.exact() <= limit


@lru_cache(maxsize=256)
def _plan(t: _Terms) -> tuple[int, _FinalPayment]:
    """The level payment (cents) and the final payment of a fully amortizing loan."""
    exact = _exact_payment(t)
    payment = _half_up(exact.numerator, exact.denominator)
    final = _FinalPayment(t, payment)
    if final.at_most(0):
        # Rounding up would repay the loan before its last month: round down
        # instead, so the final payment absorbs a (positive) shortfall.
        payment = exact.numerator // exact.denominator
        final = _FinalPayment(t, payment)
    if payment <= 0:
        raise LoanInputError(
            f"principal {_dollars(t.principal)} is too small to repay over {t.months} months (under one cent a month)"
        )
    if final.at_most(0):
        problem = "even the payment rounded down would repay it before the last month"
    elif not final.at_most(payment + Fraction(t.principal, 2)):
        # At a high rate over a long term, a cent off the level payment compounds into a
        # balloon: the last payment would carry over half the loan. That is no level schedule.
        problem = "the last payment would carry over half the loan"
    else:
        return payment, final
    rate = t.rate * 1200  # at most RATE_PLACES decimal places, so this division is exact
    percent = (Decimal(rate.numerator) / rate.denominator).normalize()
    raise LoanInputError(
        f"at {percent:f}% over {t.months} months the loan cannot be repaid in level whole-cent payments "
        f"({problem}); choose a shorter term or a lower rate"
    )


# -- the public API -------------------------------------------------------------------------


def monthly_payment(principal: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """The level monthly payment that repays ``principal`` in ``months``, in cents.

    The annuity payment ``P r / (1 - (1 + r)^-n)`` (``P / n`` at 0 %),
    rounded half-up to the cent; rounded down instead when rounding up would
    repay the loan before its last month. ``final_payment`` absorbs the
    rounding. Raises ``LoanInputError`` for bad inputs (principal > 0 in
    whole cents, 0 <= rate <= 100, 1 <= months <= 600), for a loan too small
    to pay a cent a month, and where no level whole-cent schedule exists.
    """
    return _dollars(_plan(_terms(principal, annual_rate_percent, months))[0])


def final_payment(principal: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """The last payment: the balance after ``months - 1`` level payments plus its month's interest.

    It absorbs the cent rounding so the balance ends at exactly 0.00, and
    equals the last row of ``amortization_schedule``.
    """
    return _dollars(_plan(_terms(principal, annual_rate_percent, months))[1].exact())


def total_of_payments(principal: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """Reg Z "total of payments": ``months - 1`` level payments plus the final one."""
    t = _terms(principal, annual_rate_percent, months)
    payment, final = _plan(t)
    return _dollars(payment * (t.months - 1) + final.exact())


def total_interest(principal: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """All the interest paid over the loan: the schedule's interest column, summed."""
    t = _terms(principal, annual_rate_percent, months)
    payment, final = _plan(t)
    return _dollars(payment * (t.months - 1) + final.exact() - t.principal)


def finance_charge(principal: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """Reg Z "finance charge" of a loan with no fees: the total interest."""
    return total_interest(principal, annual_rate_percent, months)


def amortization_schedule(principal: Number, annual_rate_percent: Number, months: int) -> pd.DataFrame:
    """The month-by-month schedule: ``period``, ``payment``, ``interest``, ``principal``, ``balance``.

    ``period`` is ``int64`` (1 .. months); the money columns hold exact
    ``Decimal`` cents (object dtype), so they sum exactly. Convention, with
    ``r = annual / 1200`` and ``balance[0] = principal``:

    * ``interest[k] = half_up(balance[k-1] * r)`` to the cent;
    * ``payment[k] = monthly_payment`` for every row but the last, which is
      ``final_payment = balance[months-1] + interest[months]``;
    * ``balance[k] = balance[k-1] + interest[k] - payment[k]``, ending at
      exactly 0.00; ``principal[k] = payment[k] - interest[k]``.

    So the payments sum to ``total_of_payments``, the interest to
    ``total_interest`` (= ``finance_charge``) and the principal column to the
    principal. Every balance is positive until the last and the interest is
    never negative.

    Computed on whole columns with numpy object arrays of integer cents
    (see ``_balances``): no Python loop over the rows, even at 600 months.
    """
    t = _terms(principal, annual_rate_percent, months)
    payment, final = _plan(t)
    inner = final.balances()
    previous = np.concatenate((np.array([t.principal], dtype=object), inner))
    interest = _half_up(previous * t.n, t.d)
    payments = np.full(t.months, payment, dtype=object)
    payments[-1] = final.exact()
    balance = np.concatenate((inner, np.array([0], dtype=object)))
    with localcontext(_EXACT):
        columns = {
            "payment": payments * CENT,
            "interest": interest * CENT,
            "principal": (payments - interest) * CENT,
            "balance": balance * CENT,
        }
    return pd.DataFrame({"period": np.arange(1, t.months + 1, dtype=np.int64), **columns})


def max_principal(monthly_budget: Number, annual_rate_percent: Number, months: int) -> Decimal:
    """The largest principal, in cents, whose ``monthly_payment`` is at most ``monthly_budget``.

    One cent more would need a higher payment (or could not be scheduled).
    Raises ``LoanInputError`` for a budget that is not positive, a budget
    under one cent, or a rate and term the principal cannot be scheduled at.
    """
    number = exact_number(monthly_budget, "monthly budget")
    if number <= 0:
        raise LoanInputError(f"monthly budget must be greater than 0, got {monthly_budget}")
    budget = int(Fraction(number) * 100)  # whole cents: payments are whole cents
    r = _monthly_rate(annual_rate_percent)
    n = _term(months)
    if budget < 1:
        raise LoanInputError(f"a budget of {monthly_budget} a month cannot repay even one cent")
    # Principal (cents) repaid by one cent a month: the annuity factor.
    factor = Fraction(n) if r == 0 else (1 - (1 + r) ** -n) / r

    def fits(cents: int) -> bool:
        return _plan(_Terms(cents, r.numerator, r.denominator, n))[0] <= budget

    # Below ``low`` the exact payment is under budget + 1/2 cent, so even rounded up it fits;
    # from ``high`` on it is at least budget + 1 cent, so even rounded down it does not.
    # In between only the round-down rule can make it fit, and that holds for a prefix of
    # principals (the balances grow with the principal), so bisection finds the largest.
    low = max(math.ceil((budget + Fraction(1, 2)) * factor) - 1, 0)
    high = math.ceil((budget + 1) * factor)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    if low < 1:
        raise LoanInputError(f"a budget of {monthly_budget} a month cannot repay even one cent over {n} months")
    _plan(_Terms(low, r.numerator, r.denominator, n))  # raises if that loan cannot be scheduled
    return _dollars(low)


def apr_for_level_payments(
    amount_financed: Number, payment: Number, months: int, final: Number | None = None
) -> Decimal:
    """APR (percent, 2 places) of monthly payments: ``months - 1`` of ``payment``, then ``final``.

    Appendix J's actuarial method (``apr``) with a regular first period;
    ``final`` defaults to ``payment`` (all payments level).
    """
    n = _term(months)
    last = payment if final is None else final
    streams = [PaymentStream(payment, n - 1, 1)] if n > 1 else []
    streams.append(PaymentStream(last, 1, n))
    return apr(amount_financed, streams, 12)

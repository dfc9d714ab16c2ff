"""Annual percentage rate by Regulation Z, Appendix J: the actuarial method.

The general equation of Appendix J (b)(8) sets the amount financed equal to
the present value of every payment::

    A = sum over payments of  P / ((1 + f*i) * (1 + i) ** t)

where ``t`` is the number of full unit-periods from the advance to the
payment, ``f`` the fraction of a unit-period left over, and ``i`` the rate
per unit-period. The APR is ``w * i`` with ``w`` unit-periods per year
(12 for monthly payments, 365/255 for a single payment 255 days out).

Payments are given as ``PaymentStream`` rows, as the examples of Appendix J
(c) lay them out: ``count`` equal payments one unit-period apart, the first
``periods`` whole unit-periods plus ``fraction`` of one after the advance.
An irregular first or final payment is a stream of its own; skipped
payments are a stream that starts later.

Pure functions, no I/O; ``Decimal`` arithmetic at 50 significant digits.
Numbers may be ``int``, ``str`` (``"19/30"`` and ``"365/255"`` included),
``Decimal`` or ``Fraction``; floats are refused, because 0.1 as a float is
not the number the caller meant.

Error tree::

    ValueError
     └── LoanInputError      bad loan or APR inputs (also raised by ``loans``)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from numbers import Integral

__all__ = ["AprInputError", "LoanInputError", "Number", "PaymentStream", "apr", "present_value_of_streams"]

Number = int | str | Decimal | Fraction
_PREC = 50
_TOLERANCE = Decimal("1e-32")  # width of the final bracket on the unit-period rate
_MAX_RATE = Decimal(10) ** 6  # per unit-period; a root above this is no meaningful APR


class LoanInputError(ValueError):
    """Loan or APR inputs the bank cannot quote; the message says which input and why.

    Defined here, the lowest domain module, so that ``apr`` and ``loans`` raise one error.
    """


AprInputError = LoanInputError  # the name this module used first


def exact_number(value: object, what: str) -> Decimal | Fraction:
    """``value`` as an exact number: a ``Fraction`` for ``"a/b"`` strings and Fractions, else a ``Decimal``.

    Raises ``LoanInputError`` naming ``what`` for floats, bools, other types, NaN and infinities.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Integral) and not isinstance(value, bool):
        return Decimal(int(value))  # numpy integers too
    if isinstance(value, bool) or not isinstance(value, str | Decimal):
        raise LoanInputError(f"{what} must be an int, a str, a Decimal or a Fraction, not {type(value).__name__}")
    if isinstance(value, str) and "/" in value:
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise LoanInputError(f"{what} is not a number: {value!r}") from None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise LoanInputError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise LoanInputError(f"{what} must be a finite number, got {value}")
    return number


def _decimal(value: object, what: str) -> Decimal:
    number = exact_number(value, what)
    if isinstance(number, Decimal):
        return number
    return Decimal(number.numerator) / Decimal(number.denominator)  # at the caller's precision


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise LoanInputError(f"{what} must be a whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class PaymentStream:
    """``count`` equal payments of ``amount``, one unit-period apart.

    The first is due ``periods`` full unit-periods plus ``fraction`` of a
    unit-period after the advance (Appendix J's ``t`` and ``f``). Inputs are
    checked when the APR is computed.
    """

    amount: Number
    count: int = 1
    periods: int = 1
    fraction: Number = 0


@dataclass(frozen=True, slots=True)
class _Stream:
    amount: Decimal
    count: int
    periods: int
    fraction: Decimal


def _checked(stream: PaymentStream, index: int) -> _Stream:
    where = f"payment stream {index + 1}"
    if not isinstance(stream, PaymentStream):
        raise LoanInputError(f"{where} must be a PaymentStream, not {type(stream).__name__}")
    amount = _decimal(stream.amount, f"{where}: payment amount")
    if amount <= 0:
        raise LoanInputError(f"{where}: payment amount must be greater than 0, got {amount}")
    count = _whole(stream.count, f"{where}: count")
    if count < 1:
        raise LoanInputError(f"{where}: count must be at least 1, got {count}")
    periods = _whole(stream.periods, f"{where}: periods")
    if periods < 0:
        raise LoanInputError(f"{where}: periods must be 0 or more, got {periods}")
    fraction = _decimal(stream.fraction, f"{where}: fraction")
    if not Decimal(0) <= fraction < Decimal(1):
        raise LoanInputError(f"{where}: fraction must be at least 0 and below 1, got {stream.fraction}")
    if periods == 0 and fraction == 0:
        # Money paid back at the advance is not credit: it reduces the amount financed instead.
        raise LoanInputError(f"{where}: a payment cannot fall on the day of the advance (periods and fraction 0)")
    return _Stream(amount, count, periods, fraction)


def _stream_value(stream: _Stream, i: Decimal) -> Decimal:
    """The stream's share of the (b)(8) sum at unit-period rate ``i``."""
    if i == 0:
        return stream.amount * stream.count
    v = 1 / (1 + i)
    # v^t + v^(t+1) + ... + v^(t+count-1), in closed form.
    annuity = v**stream.periods * (1 - v**stream.count) / (1 - v)
    return stream.amount * annuity / (1 + stream.fraction * i)


def _value(streams: Sequence[_Stream], i: Decimal) -> Decimal:
    return sum((_stream_value(s, i) for s in streams), Decimal(0))


def _checked_streams(streams: Sequence[PaymentStream]) -> list[_Stream]:
    if not isinstance(streams, Sequence):
        raise LoanInputError("streams must be a list of PaymentStream")
    if not streams:
        raise LoanInputError("at least one payment stream is needed")
    return [_checked(s, k) for k, s in enumerate(streams)]


def present_value_of_streams(streams: Sequence[PaymentStream], rate_per_period: Number) -> Decimal:
    """The right-hand side of the (b)(8) equation at unit-period rate ``rate_per_period``."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        i = _decimal(rate_per_period, "rate per period")
        if i <= -1:
            raise LoanInputError(f"rate per period must be above -1, got {rate_per_period}")
        return _value(_checked_streams(streams), i)


def apr(amount_financed: Number, streams: Sequence[PaymentStream], periods_per_year: Number = 12) -> Decimal:
    """The APR in percent, rounded half-up to 2 places, by the Appendix J actuarial method.

    ``periods_per_year`` is ``w``, unit-periods in a year: an int, a Fraction,
    a Decimal or a string such as ``"365/255"``.

    Payments that add up to exactly the amount financed give ``0.00``.
    Payments that add up to less would need a negative rate, which no
    disclosure quotes: that raises ``LoanInputError`` (a ``ValueError``), as
    do a non-positive amount, no streams and any bad stream.
    """
    with localcontext() as ctx:
        ctx.prec = _PREC
        amount = _decimal(amount_financed, "amount financed")
        if amount <= 0:
            raise LoanInputError(f"amount financed must be greater than 0, got {amount}")
        w = _decimal(periods_per_year, "unit-periods per year")
        if w <= 0:
            raise LoanInputError(f"unit-periods per year must be greater than 0, got {periods_per_year}")
        checked = _checked_streams(streams)
        total = _value(checked, Decimal(0))
        if total < amount:
            raise LoanInputError(
                f"the payments total {total}, less than the amount financed {amount}: the APR would be negative"
            )
        if total == amount:
            return Decimal("0.00")
        i = _solve(checked, amount)
        rate = i * w * 100
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _solve(streams: Sequence[_Stream], amount: Decimal) -> Decimal:
    """The unit-period rate ``i > 0`` at which the payments are worth ``amount``.

    The present value falls strictly as ``i`` rises, so the root is unique:
    bracket it by doubling, then halve the bracket until it is narrower
    than ``_TOLERANCE``.
    """
    low, high = Decimal(0), Decimal(1)
    while _value(streams, high) > amount:
        low, high = high, high * 2
        if high > _MAX_RATE:
            raise LoanInputError("the payments imply an APR beyond any meaningful value")
    while high - low > _TOLERANCE:
        mid = (low + high) / 2
        if _value(streams, mid) > amount:
            low = mid
        else:
            high = mid
    return (low + high) / 2

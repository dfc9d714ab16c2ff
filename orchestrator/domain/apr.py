"""Annual percentage rate by Regulation Z, Appendix J: the actuarial method.

The general equation of Appendix J (b)(8) equates the amount financed with
the present value of every payment::

    A = sum over payments of  P / ((1 + f*i) * (1 + i) ** t)

where ``t`` is the number of full unit-periods from the advance to the
payment, ``f`` the fraction of a unit-period left over, and ``i`` the rate
per unit-period. The APR is ``w * i`` with ``w`` unit-periods per year
(12 for monthly, 365/255 for a single 255-day period).

Pure functions, no I/O; all arithmetic is ``Decimal`` at 50 digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction

__all__ = ["AprInputError", "PaymentStream", "apr", "present_value_of_streams"]

Number = int | str | Decimal | Fraction
_PREC = 50
_ITERATIONS = 200  # bisection halvings: far below 1e-30 of a unit-period rate


class AprInputError(ValueError):
    """Inputs the APR cannot be computed from."""


def _decimal(value: Number, what: str) -> Decimal:
    """An exact Decimal from int/str/Decimal/Fraction ("19/30" and "365/255" allowed)."""
    if isinstance(value, (bool, float)):
        raise AprInputError(f"{what} must be an int, a Decimal, a Fraction or a string, not {type(value).__name__}")
    try:
        if isinstance(value, Fraction):
            frac = value
        elif isinstance(value, str) and "/" in value:
            frac = Fraction(value.strip())
        else:
            number = Decimal(value) if not isinstance(value, Decimal) else value
            if not number.is_finite():
                raise AprInputError(f"{what} must be a finite number, got {value}")
            return number
    except (InvalidOperation, ValueError, ZeroDivisionError) as exc:
        if isinstance(exc, AprInputError):
            raise
        raise AprInputError(f"{what} is not a number: {value!r}") from None
    with localcontext() as ctx:
        ctx.prec = _PREC
        return Decimal(frac.numerator) / Decimal(frac.denominator)


@dataclass(frozen=True, slots=True)
class PaymentStream:
    """``count`` equal payments of ``amount``, one unit-period apart.

    The first is due ``periods`` full unit-periods plus ``fraction`` of a
    unit-period after the advance (Appendix J's ``t`` and ``f``).
    """

    amount: Number
    count: int = 1
    periods: int = 1
    fraction: Number = 0

    def checked(self) -> tuple[Decimal, int, int, Decimal]:
        """(amount, count, periods, fraction) validated as Decimals and ints."""
        amount = _decimal(self.amount, "payment amount")
        if amount <= 0:
            raise AprInputError(f"payment amount must be greater than 0, got {amount}")
        for name, value in (("count", self.count), ("periods", self.periods)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise AprInputError(f"{name} must be a whole number, got {value!r}")
        if self.count < 1:
            raise AprInputError(f"count must be at least 1, got {self.count}")
        if self.periods < 0:
            raise AprInputError(f"periods must be 0 or more, got {self.periods}")
        fraction = _decimal(self.fraction, "fraction")
        if not Decimal(0) <= fraction < Decimal(1):
            raise AprInputError(f"fraction must be at least 0 and below 1, got {self.fraction}")
        if self.periods == 0 and fraction == 0:
            raise AprInputError("a payment cannot fall on the day of the advance (periods and fraction both 0)")
        return amount, self.count, self.periods, fraction


def _stream_value(stream: tuple[Decimal, int, int, Decimal], i: Decimal) -> Decimal:
    amount, count, periods, fraction = stream
    if i == 0:
        return amount * count
    v = 1 / (1 + i)
    # v^t + v^(t+1) + ... + v^(t+count-1), summed in closed form.
    annuity = v**periods * (1 - v**count) / (1 - v)
    return amount * annuity / (1 + fraction * i)


def present_value_of_streams(streams: list[PaymentStream], rate_per_period: Number) -> Decimal:
    """The right-hand side of the (b)(8) equation at unit-period rate ``i``."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        i = _decimal(rate_per_period, "rate per period")
        checked = [s.checked() for s in streams]
        return sum((_stream_value(s, i) for s in checked), Decimal(0))


def apr(amount_financed: Number, streams: list[PaymentStream], periods_per_year: Number = 12) -> Decimal:
    """The APR in percent, rounded half-up to 2 places, by the Appendix J actuarial method.

    Raises ``AprInputError`` (a ``ValueError``) for a non-positive amount, no
    streams, a bad stream, or payments that total less than the amount financed
    (the APR would be negative).
    """
    with localcontext() as ctx:
        ctx.prec = _PREC
        amount = _decimal(amount_financed, "amount financed")
        if amount <= 0:
            raise AprInputError(f"amount financed must be greater than 0, got {amount}")
        w = _decimal(periods_per_year, "unit-periods per year")
        if w <= 0:
            raise AprInputError(f"unit-periods per year must be greater than 0, got {periods_per_year}")
        if not streams:
            raise AprInputError("at least one payment stream is needed")
        checked = [s.checked() for s in streams]

        def value(i: Decimal) -> Decimal:
            return sum((_stream_value(s, i) for s in checked), Decimal(0))

        total = value(Decimal(0))
        if total < amount:
            raise AprInputError(f"payments total {total} is less than the amount financed {amount}")
        if total == amount:
            return Decimal("0.00")
        # The present value falls as the rate rises: bracket the root, then halve.
        low, high = Decimal(0), Decimal(1)
        while value(high) > amount:
            low, high = high, high * 2
            if high > 10**6:
                raise AprInputError("the APR is beyond any meaningful value")
        for _ in range(_ITERATIONS):
            mid = (low + high) / 2
            if value(mid) > amount:
                low = mid
            else:
                high = mid
        rate = (low + high) / 2 * w * 100
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""Time-value-of-money functions in exact ``Decimal``, per period, unrounded.

The building blocks under ``loans``: the level payment, its interest and
principal parts in one period, present and future values, the number of
periods and the net present value. They follow the spreadsheet (and
numpy-financial) conventions so they can be checked against them: rates are
per period; cash received is positive and cash paid negative (borrowing
``pv > 0`` gives ``pmt < 0``); ``when`` is ``"end"`` (0) or ``"begin"`` (1)
of each period. Pure functions, no I/O, 50-digit precision.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Literal

__all__ = ["When", "fv", "ipmt", "nper", "npv", "pmt", "ppmt", "pv"]

When = Literal["end", "begin"] | int
Num = int | str | Decimal
_PREC = 50


def _d(value: Num, what: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f"{what} must be an int, a str or a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    return number


def _when(when: When) -> Decimal:
    if when in ("end", 0):
        return Decimal(0)
    if when in ("begin", 1):
        return Decimal(1)
    raise ValueError(f"when must be 'end' (0) or 'begin' (1), got {when!r}")


def fv(rate: Num, nper: Num, pmt: Num, pv: Num, when: When = "end") -> Decimal:
    """Future value after ``nper`` periods of ``pmt`` on a start value ``pv``."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        r, n, p, v, w = _d(rate, "rate"), _d(nper, "nper"), _d(pmt, "pmt"), _d(pv, "pv"), _when(when)
        if r == 0:
            return -(v + p * n)
        growth = (1 + r) ** n
        return -(v * growth + p * (1 + r * w) / r * (growth - 1))


def pmt(rate: Num, nper: Num, pv: Num, fv: Num = 0, when: When = "end") -> Decimal:
    """The level payment per period that takes ``pv`` to ``fv`` in ``nper`` periods."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        r, n, v, f, w = _d(rate, "rate"), _d(nper, "nper"), _d(pv, "pv"), _d(fv, "fv"), _when(when)
        if n <= 0:
            raise ValueError(f"nper must be greater than 0, got {nper}")
        growth = (1 + r) ** n
        factor = n if r == 0 else (1 + r * w) * (growth - 1) / r
        return -(f + v * growth) / factor


def pv(rate: Num, nper: Num, pmt: Num, fv: Num = 0, when: When = "end") -> Decimal:
    """The present value of ``nper`` payments of ``pmt`` and a final ``fv``."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        r, n, p, f, w = _d(rate, "rate"), _d(nper, "nper"), _d(pmt, "pmt"), _d(fv, "fv"), _when(when)
        growth = (1 + r) ** n
        factor = n if r == 0 else (1 + r * w) * (growth - 1) / r
        return -(f + p * factor) / growth


def nper(rate: Num, pmt: Num, pv: Num, fv: Num = 0, when: When = "end") -> Decimal:
    """How many periods of ``pmt`` take ``pv`` to ``fv`` (fractional in general).

    Raises ``ValueError`` when no number of periods does (for example, no payment at all at 0 %).
    """
    with localcontext() as ctx:
        ctx.prec = _PREC
        r, p, v, f, w = _d(rate, "rate"), _d(pmt, "pmt"), _d(pv, "pv"), _d(fv, "fv"), _when(when)
        if r == 0:
            if p == 0:
                raise ValueError("with no payment and no interest the balance never changes")
            return -(f + v) / p
        z = p * (1 + r * w) / r
        ratio = (-f + z) / (v + z)
        if ratio <= 0:
            raise ValueError("these payments never reach the target value")
        return ratio.ln() / (1 + r).ln()


def _check_period(per: int, nper: Num) -> None:
    if isinstance(per, bool) or not isinstance(per, int):
        raise ValueError(f"per must be a whole number, got {per!r}")
    if not 1 <= per <= Decimal(nper):
        raise ValueError(f"per must be between 1 and nper ({nper}), got {per}")


def ipmt(rate: Num, per: int, nper: Num, pv: Num, fv: Num = 0, when: When = "end") -> Decimal:
    """The interest part of the payment in period ``per`` (1-based)."""
    _check_period(per, nper)
    with localcontext() as ctx:
        ctx.prec = _PREC
        w = _when(when)
        r = _d(rate, "rate")
        payment = pmt(rate, nper, pv, fv, when)
        balance = _balance(rate, per - 1, payment, pv, when)
        interest = balance * r
        if w == 1:
            # Paid at the start of the period: nothing has accrued in the first one.
            interest = Decimal(0) if per == 1 else interest / (1 + r)
        return interest


def _balance(rate: Num, periods: int, payment: Decimal, pv: Num, when: When) -> Decimal:
    # A module-level helper: inside ipmt the name ``fv`` is the parameter.
    return fv(rate, periods, payment, pv, when)


def ppmt(rate: Num, per: int, nper: Num, pv: Num, fv: Num = 0, when: When = "end") -> Decimal:
    """The principal part of the payment in period ``per`` (1-based)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        return pmt(rate, nper, pv, fv, when) - ipmt(rate, per, nper, pv, fv, when)


def npv(rate: Num, values: list[Num]) -> Decimal:
    """Net present value of cash flows at periods 0, 1, 2, ..."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        r = _d(rate, "rate")
        return sum((_d(v, "value") / (1 + r) ** t for t, v in enumerate(values)), Decimal(0))

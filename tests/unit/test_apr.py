"""orchestrator.domain.apr: Regulation Z Appendix J, the general (b)(8) equation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.domain.apr import AprInputError, LoanInputError, PaymentStream, apr, present_value_of_streams

D = Decimal


def float_apr(amount: float, payments: list[tuple[float, float, float]], per_year: float) -> float:
    """An independent oracle: bisection in floats on sum P / ((1 + f i) (1 + i)^t) = A.

    ``payments`` lists single payments as (amount, t, f).
    """

    def value(i: float) -> float:
        return sum(p / ((1 + f * i) * (1 + i) ** t) for p, t, f in payments)

    low, high = 0.0, 1.0
    while value(high) > amount:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if value(mid) > amount else (low, mid)
    return low * per_year * 100


def level(amount: float, count: int, first: int = 1, fraction: float = 0.0) -> list[tuple[float, float, float]]:
    return [(amount, first + k, fraction) for k in range(count)]


# -- the examples -----------------------------------------------------------------------------


def test_a_plain_monthly_loan_without_fees_has_its_nominal_rate():
    # $1,000 at 12% nominal: 12 payments of 88.85 (88.8488 rounded up, too little to move 2 places).
    assert apr(1000, [PaymentStream("88.85", 12, 1)], 12) == D("12.00")


def test_a_dollar_more_a_month_raises_the_apr_to_the_rate_a_float_bisection_finds():
    expected = float_apr(1000, level(89.85, 12), 12)
    assert apr(1000, [PaymentStream("89.85", 12, 1)], 12) == D(f"{expected:.2f}")


def test_a_single_payment_loan_over_a_fractional_year_is_its_growth_times_the_periods_a_year():
    # 1,080 repaid 255 days after 1,000 is advanced: i = 8% per unit-period, w = 365/255.
    expected = D("0.08") * 365 / 255 * 100  # 11.4509...
    assert apr(1000, [PaymentStream(1080)], "365/255") == expected.quantize(D("0.01")) == D("11.45")
    assert apr(1000, [PaymentStream(1080)], Fraction(365, 255)) == D("11.45")
    assert apr(1000, [PaymentStream(1080)], D(365) / D(255)) == D("11.45")


def test_a_single_payment_after_a_fraction_of_a_period_uses_simple_interest_for_the_fraction():
    # t = 0, f = 1/2: 1000 (1 + i/2) = 1040, so i = 8% a unit-period, 96% a year at w = 12.
    assert apr(1000, [PaymentStream(1040, 1, 0, "1/2")], 12) == D("96.00")


def test_an_odd_first_period_lowers_the_apr_of_the_same_payments():
    regular = apr(6000, [PaymentStream(200, 36, 1)], 12)
    long_first = apr(6000, [PaymentStream(200, 36, 1, "19/30")], 12)
    assert long_first < regular
    assert long_first == D("11.82")  # Reg Z App. J (c)(1)(ii)


def test_skipped_payments_are_a_stream_that_starts_later_and_lower_the_apr():
    # Same 24 payments, but the first comes 3 months after the advance instead of 1.
    on_time = apr(5000, [PaymentStream(230, 24, 1)], 12)
    deferred = apr(5000, [PaymentStream(230, 24, 3)], 12)
    assert deferred < on_time
    assert deferred == D(f"{float_apr(5000, level(230, 24, first=3), 12):.2f}")


def test_a_skipped_payment_in_the_middle_is_two_streams():
    # Payments 1-6, none in month 7, then 8-25: 24 payments in all.
    streams = [PaymentStream(230, 6, 1), PaymentStream(230, 18, 8)]
    expected = float_apr(5000, level(230, 6) + level(230, 18, first=8), 12)
    assert apr(5000, streams, 12) == D(f"{expected:.2f}")
    assert apr(5000, [PaymentStream(230, 24, 1)], 12) > apr(5000, streams, 12)


def test_irregular_first_and_final_payments():
    first = apr(5000, [PaymentStream(250, 1, 1), PaymentStream(230, 23, 2)], 12)
    final = apr(5000, [PaymentStream(230, 23, 1), PaymentStream(280, 1, 24)], 12)
    assert (first, final) == (D("10.08"), D("10.50"))  # Reg Z App. J (c)(2)(i) and (c)(3)(i)


def test_payments_equal_to_the_amount_financed_cost_nothing():
    assert apr(1200, [PaymentStream(100, 12, 1)], 12) == D("0.00")


def test_a_very_high_rate_is_still_found():
    # A 14-day payday loan: $15 per $100, w = 365/14: i = 15%, APR = 391.07%.
    assert apr(100, [PaymentStream(115)], "365/14") == D("391.07")
    # 30,000 % a year: the bracket keeps doubling until it holds the root.
    assert apr(100, [PaymentStream(2600)], 12) == D("30000.00")


def test_a_tiny_rate_is_still_found():
    # One cent of interest on $10,000 over a month: 0.0012 % a year, which rounds to 0.00.
    assert apr(10_000, [PaymentStream("10000.01")], 12) == D("0.00")
    assert apr(10_000, [PaymentStream("10000.50")], 12) == D("0.06")


def test_the_apr_solves_the_equation_it_states():
    streams = [PaymentStream("437.50", 59, 1), PaymentStream("440.12", 1, 60)]
    rate = apr(22_000, streams, 12)
    # The stated APR (2 places) brackets the exact root: present value falls as the rate rises.
    above = present_value_of_streams(streams, (rate + D("0.005")) / 1200)
    below = present_value_of_streams(streams, (rate - D("0.005")) / 1200)
    assert above <= D(22_000) <= below


def test_fractions_may_be_given_as_fraction_decimal_or_string():
    a = apr(6000, [PaymentStream(200, 36, 1, Fraction(19, 30))], 12)
    b = apr(6000, [PaymentStream(200, 36, 1, "19/30")], 12)
    c = apr(6000, [PaymentStream(200, 36, 1, D(19) / D(30))], 12)
    assert a == b == c == D("11.82")


def test_numpy_integers_and_tuples_are_accepted():
    assert apr(5000, (PaymentStream(230, np.int64(24), np.int64(1)),), np.int64(12)) == D("9.69")


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "streams", "per_year", "message"),
    [
        (0, [PaymentStream(100, 12, 1)], 12, "amount financed must be greater than 0, got 0"),
        (-5, [PaymentStream(100, 12, 1)], 12, "amount financed must be greater than 0, got -5"),
        ("NaN", [PaymentStream(100, 12, 1)], 12, "amount financed must be a finite number"),
        ("abc", [PaymentStream(100, 12, 1)], 12, "amount financed is not a number"),
        (1000.0, [PaymentStream(100, 12, 1)], 12, "amount financed must be .* not float"),
        (True, [PaymentStream(100, 12, 1)], 12, "amount financed must be .* not bool"),
        (1000, [], 12, "at least one payment stream"),
        (1000, PaymentStream(100, 12, 1), 12, "streams must be a list of PaymentStream"),
        (1000, [(100, 12, 1)], 12, "payment stream 1 must be a PaymentStream"),
        (1000, [PaymentStream(0, 12, 1)], 12, "payment stream 1: payment amount must be greater than 0"),
        (1000, [PaymentStream(100, 11, 1), PaymentStream(-1)], 12, "payment stream 2: payment amount"),
        (1000, [PaymentStream("Infinity", 1, 1)], 12, "payment amount must be a finite number"),
        (1000, [PaymentStream(100, 0, 1)], 12, "count must be at least 1, got 0"),
        (1000, [PaymentStream(100, 12.0, 1)], 12, "count must be a whole number"),  # type: ignore[arg-type]
        (1000, [PaymentStream(100, True, 1)], 12, "count must be a whole number"),
        (1000, [PaymentStream(100, 12, -1)], 12, "periods must be 0 or more, got -1"),
        (1000, [PaymentStream(100, 12, "1")], 12, "periods must be a whole number"),  # type: ignore[arg-type]
        (1000, [PaymentStream(100, 12, 1, "3/2")], 12, "fraction must be at least 0 and below 1, got 3/2"),
        (1000, [PaymentStream(100, 12, 1, 1)], 12, "fraction must be at least 0 and below 1"),
        (1000, [PaymentStream(100, 12, 1, "-1/30")], 12, "fraction must be at least 0"),
        (1000, [PaymentStream(100, 12, 1, 0.5)], 12, "fraction must be .* not float"),  # type: ignore[arg-type]
        (1000, [PaymentStream(100, 12, 0, 0)], 12, "day of the advance"),
        (1000, [PaymentStream(50, 12, 1)], 12, "less than the amount financed 1000: the APR would be negative"),
        (1000, [PaymentStream(100, 12, 1)], 0, "unit-periods per year must be greater than 0, got 0"),
        (1000, [PaymentStream(100, 12, 1)], "-12", "unit-periods per year must be greater than 0"),
        (1000, [PaymentStream(100, 12, 1)], "x/y", "unit-periods per year is not a number"),
        (1000, [PaymentStream(100, 12, 1)], "365/0", "unit-periods per year is not a number"),
        (1000, [PaymentStream(100, 12, 1)], 12.0, "unit-periods per year must be .* not float"),
        (1, [PaymentStream(10**12)], 12, "beyond any meaningful value"),
    ],
)
def test_bad_inputs_are_refused_with_what_is_wrong(amount, streams, per_year, message):
    with pytest.raises(LoanInputError, match=message) as info:
        apr(amount, streams, per_year)
    assert isinstance(info.value, ValueError)


def test_the_apr_error_is_the_loan_error():
    assert AprInputError is LoanInputError
    assert issubclass(LoanInputError, ValueError)


def test_present_value_at_rate_zero_is_the_sum_of_the_payments_and_refuses_rates_of_minus_one():
    streams = [PaymentStream(100, 12, 1), PaymentStream(50, 1, 13)]
    assert present_value_of_streams(streams, 0) == D(1250)
    with pytest.raises(LoanInputError, match="rate per period must be above -1"):
        present_value_of_streams(streams, -1)


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)  # no time limits: the machine is shared and noisy
@given(
    st.integers(min_value=100_00, max_value=100_000_00),  # amount financed, cents
    st.integers(min_value=1, max_value=120),  # count
    st.integers(min_value=1, max_value=4),  # first payment after this many periods
    st.integers(min_value=0, max_value=29),  # odd days of a 30-day first period
    st.integers(min_value=0, max_value=40_000),  # total interest, basis points of the amount
)
def test_the_apr_agrees_with_a_float_bisection_of_the_same_equation(cents, count, first, days, markup):
    amount = D(cents) / 100
    payment = (amount * (1 + D(markup) / 10_000) / count).quantize(D("0.01"))
    if payment * count < amount:
        payment += D("0.01")
    expected = float_apr(float(amount), level(float(payment), count, first, days / 30), 12)

    got = apr(amount, [PaymentStream(payment, count, first, Fraction(days, 30))], 12)

    assert abs(float(got) - expected) <= 0.005 + 1e-6


@settings(max_examples=40, deadline=None)  # no time limits: the machine is shared and noisy
@given(
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=1, max_value=5_000).map(lambda c: D(c) / 100),
)
def test_the_apr_rises_with_the_payment_and_falls_as_payments_come_later(count, extra):
    base = D(1000) / count + extra
    payment = base.quantize(D("0.01"))
    higher = payment + D(1)
    assert apr(1000, [PaymentStream(higher, count, 1)], 12) >= apr(1000, [PaymentStream(payment, count, 1)], 12)
    assert apr(1000, [PaymentStream(payment, count, 2)], 12) <= apr(1000, [PaymentStream(payment, count, 1)], 12)

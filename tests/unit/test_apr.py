"""orchestrator.domain.apr: Regulation Z Appendix J, the general (b)(8) equation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from orchestrator.domain.apr import AprInputError, PaymentStream, apr, present_value_of_streams

D = Decimal


def test_a_plain_monthly_loan_without_fees_has_its_nominal_rate():
    # $1,000 at 12% nominal: 12 payments of 88.85 (88.8488 rounded up, too little to move 2 places).
    assert apr(1000, [PaymentStream("88.85", 12, 1)], 12) == D("12.00")
    # A whole dollar more each month is a real price rise; check it against a float bisection.
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        value = sum(89.85 / (1 + mid) ** t for t in range(1, 13))
        low, high = (mid, high) if value > 1000 else (low, mid)
    assert apr(1000, [PaymentStream("89.85", 12, 1)], 12) == D(f"{low * 1200:.2f}")


def test_a_single_payment_loan_over_a_fractional_year():
    # 1,080 repaid 255 days after 1,000 is advanced: 8% per unit-period, 365/255 periods a year.
    assert apr(1000, [PaymentStream(1080)], "365/255") == D("11.45")
    assert apr(1000, [PaymentStream(1080)], Fraction(365, 255)) == D("11.45")


def test_an_odd_first_period_lowers_the_apr_of_the_same_payments():
    regular = apr(6000, [PaymentStream(200, 36, 1)], 12)
    long_first = apr(6000, [PaymentStream(200, 36, 1, "19/30")], 12)
    assert long_first < regular
    assert long_first == D("11.82")


def test_skipped_payments_shift_the_stream_and_lower_the_apr():
    # Same 24 payments, but the first comes 3 months after the advance instead of 1.
    on_time = apr(5000, [PaymentStream(230, 24, 1)], 12)
    deferred = apr(5000, [PaymentStream(230, 24, 3)], 12)
    assert deferred < on_time


def test_irregular_first_and_final_payments():
    first = apr(5000, [PaymentStream(250, 1, 1), PaymentStream(230, 23, 2)], 12)
    final = apr(5000, [PaymentStream(230, 23, 1), PaymentStream(280, 1, 24)], 12)
    assert (first, final) == (D("10.08"), D("10.50"))


def test_payments_equal_to_the_amount_financed_cost_nothing():
    assert apr(1200, [PaymentStream(100, 12, 1)], 12) == D("0.00")


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
    assert a == b == c


@pytest.mark.parametrize(
    ("amount", "streams", "per_year", "message"),
    [
        (0, [PaymentStream(100, 12, 1)], 12, "amount financed must be greater than 0"),
        (1000, [], 12, "at least one payment stream"),
        (1000, [PaymentStream(0, 12, 1)], 12, "payment amount must be greater than 0"),
        (1000, [PaymentStream(100, 0, 1)], 12, "count must be at least 1"),
        (1000, [PaymentStream(100, 12, -1)], 12, "periods must be 0 or more"),
        (1000, [PaymentStream(100, 12, 1, "3/2")], 12, "fraction must be at least 0 and below 1"),
        (1000, [PaymentStream(100, 12, 0, 0)], 12, "day of the advance"),
        (1000, [PaymentStream(50, 12, 1)], 12, "less than the amount financed"),
        (1000, [PaymentStream(100, 12, 1)], 0, "unit-periods per year must be greater than 0"),
        (1000, [PaymentStream(100, 12, 1)], "x/y", "not a number"),
        (1000.0, [PaymentStream(100, 12, 1)], 12, "not float"),
        (1000, [PaymentStream(100, 12.0, 1)], 12, "whole number"),  # type: ignore[arg-type]
    ],
)
def test_bad_inputs_are_refused_with_what_is_wrong(amount, streams, per_year, message):
    with pytest.raises(AprInputError, match=message) as info:
        apr(amount, streams, per_year)
    assert isinstance(info.value, ValueError)

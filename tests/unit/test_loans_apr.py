"""orchestrator.domain.loans: the APR of level payments, and the largest loan a budget pays."""

from __future__ import annotations

import pytest

from orchestrator.domain.loans import (
    CENT,
    MAX_MONTHS,
    apr_for_level_payments,
    final_payment,
    max_principal,
    monthly_payment,
)
from tests.unit.loan_helpers import D


@pytest.mark.parametrize(
    ("principal", "rate", "months"),
    [(25_000, "6.5", 60), (200_000, "6", 360), (10_000, "7", 36), (50_000, "3.75", 120), (5_000, "29.99", 1)],
)
def test_the_apr_of_a_plain_loan_equals_its_nominal_rate(principal, rate, months):
    payment = monthly_payment(principal, rate, months)
    last = final_payment(principal, rate, months)

    assert apr_for_level_payments(principal, payment, months, last) == D(rate).quantize(CENT)


def test_the_apr_of_an_interest_free_loan_is_zero():
    assert apr_for_level_payments(D(1200), D(100), 12) == D("0.00")


def test_a_fee_deducted_from_the_amount_financed_raises_the_apr_to_the_rate_that_balances_the_payments():
    # $25,000 at 6.5% for 60 months, with a $500 fee: only $24,500 is financed.
    rate = apr_for_level_payments(D(24_500), D("489.15"), 60)

    def pv(annual_percent: float) -> float:
        r = annual_percent / 1200.0
        return 489.15 * (1 - (1 + r) ** -60) / r

    assert rate > D("6.5")
    # The quoted APR (2 places) brackets the exact rate: PV is decreasing in the rate.
    assert pv(float(rate) - 0.005) >= 24_500 >= pv(float(rate) + 0.005)


def test_a_one_month_loan_of_a_thousand_can_round_its_apr_a_hundredth_off_the_rate():
    # Why the APR property below starts at $5,000: 1000 * 7.35% / 12 = 6.125 rounds to 6.13,
    # half a cent that moves a one-month APR by 1200 * 0.005 / 1000 = 0.006 points.
    assert apr_for_level_payments(1000, monthly_payment(1000, "7.35", 1), 1) == D("7.36")


# -- max principal ------------------------------------------------------------------------------------


def test_max_principal_is_the_largest_loan_a_budget_pays_at_zero_rate():
    # 1200.05 / 12 = 100.004 rounds to 100.00; 1200.06 / 12 = 100.005 rounds up to 100.01.
    assert max_principal(100, 0, 12) == D("1200.05")
    assert monthly_payment("1200.06", 0, 12) == D("100.01")


def test_max_principal_counts_the_round_down_rule():
    # Up to 1000.33 at 0% over 600 months, a payment of 1.67 would overpay (599 x 1.67 > 1000.33),
    # so those loans pay 1.66; from 1000.34 it is 1.67.
    assert max_principal("1.66", 0, MAX_MONTHS) == D("1000.33")
    assert monthly_payment("1000.33", 0, MAX_MONTHS) == D("1.66")
    assert monthly_payment("1000.34", 0, MAX_MONTHS) == D("1.67")


def test_max_principal_of_a_quoted_payment_covers_the_quoted_loan():
    best = max_principal(D("489.15"), D("6.5"), 60)
    assert best >= D(25_000)
    assert monthly_payment(best, D("6.5"), 60) <= D("489.15") < monthly_payment(best + CENT, D("6.5"), 60)


def test_max_principal_ignores_fractions_of_a_cent_in_the_budget():
    assert max_principal("100.009", 0, 12) == max_principal("100.00", 0, 12)

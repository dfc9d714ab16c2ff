"""orchestrator.domain.loans: the monthly payment, the final payment and the totals, in exact cents."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from orchestrator.domain.loans import (
    CENT,
    MAX_MONTHS,
    LoanInputError,
    amortization_schedule,
    final_payment,
    finance_charge,
    monthly_payment,
    total_interest,
    total_of_payments,
)
from tests.unit.loan_helpers import D, annuity_float, schedule_by_hand


@pytest.mark.parametrize(
    ("principal", "rate", "months", "published"),
    [
        # Published amortisation-table values.
        (25_000, "6.5", 60, "489.15"),
        (200_000, "6", 360, "1199.10"),
        (100_000, "5", 360, "536.82"),
        (10_000, "7", 36, "308.77"),
    ],
)
def test_the_monthly_payment_matches_published_amortisation_values(principal, rate, months, published):
    assert monthly_payment(D(principal), D(rate), months) == D(published)


@pytest.mark.parametrize(
    ("principal", "rate", "months"),
    [("25000", "6.5", 60), ("8000", "5.9", 48), ("32000", "4.5", 72), ("50000", "3.75", 120), ("1234.56", "19.99", 7)],
)
def test_the_monthly_payment_agrees_with_the_float_annuity_formula_to_the_cent(principal, rate, months):
    expected = annuity_float(float(principal), float(rate), months)

    payment = monthly_payment(D(principal), D(rate), months)

    assert abs(float(payment) - expected) <= 0.005 + 1e-9


def test_a_zero_rate_loan_is_the_principal_split_evenly():
    assert monthly_payment(D(1200), D(0), 12) == D("100.00")


def test_a_one_month_loan_repays_principal_plus_one_month_of_interest():
    # 1000 * (1 + 0.12/12) = 1010.00
    assert monthly_payment(D(1000), D(12), 1) == D("1010.00")
    assert final_payment(D(1000), D(12), 1) == D("1010.00")


def test_the_payment_is_rounded_to_cents():
    payment = monthly_payment(D(10_000), D("7.3"), 37)

    assert payment == payment.quantize(CENT)


def test_string_int_and_fraction_inputs_give_the_same_payment_as_decimals():
    assert monthly_payment("25000", "6.5", 60) == monthly_payment(25_000, D("6.5"), 60) == D("489.15")
    assert monthly_payment(Fraction(25_000), "13/2", np.int64(60)) == D("489.15")


# -- final payment and totals ---------------------------------------------------------------------


def test_the_final_payment_is_what_the_rounded_interest_leaves_owing():
    # 59 payments of 489.15, each month's interest rounded to the cent, leave 486.71 owing;
    # with its 2.64 of interest the last payment is 489.35.
    by_hand = schedule_by_hand(D(25_000), D("6.5"), 60, D("489.15"))
    assert by_hand[-2][3] == D("486.71")
    assert by_hand[-1][:2] == (D("489.35"), D("2.64"))
    assert final_payment(D(25_000), D("6.5"), 60) == D("489.35")


def test_total_of_payments_and_finance_charge_follow_from_the_payments():
    # 59 * 489.15 + 489.35 = 29349.20; 29349.20 - 25000 = 4349.20
    assert total_of_payments(D(25_000), D("6.5"), 60) == D("29349.20")
    assert finance_charge(D(25_000), D("6.5"), 60) == D("4349.20")
    assert total_interest(D(25_000), D("6.5"), 60) == D("4349.20")


def test_a_zero_rate_loan_has_no_finance_charge():
    assert finance_charge(D(1200), D(0), 12) == D(0)
    assert total_interest(D(1200), D(0), 12) == D("0.00")


def test_an_interest_free_loan_that_does_not_split_evenly_is_still_repaid_in_full():
    # 11 x 83.33 = 916.63, so the last payment is 83.37.
    assert final_payment(D(1000), D(0), 12) == D("83.37")
    assert total_of_payments(D(1000), D(0), 12) == D(1000)


def test_a_payment_that_would_repay_the_loan_early_is_rounded_down_and_the_last_payment_absorbs_it():
    # $1,000 at 0% over 600 months: 1.6667 rounds to 1.67, and 599 x 1.67 = 1,000.33
    # would overpay, so the level payment is 1.66 and the last one 5.66.
    assert monthly_payment(D(1000), D(0), MAX_MONTHS) == D("1.66")
    assert final_payment(D(1000), D(0), MAX_MONTHS) == D("5.66")
    assert total_of_payments(D(1000), D(0), MAX_MONTHS) == D("1000.00")


def test_a_loan_whose_final_payment_would_be_a_balloon_is_refused():
    # At 100% a year over 50 years, a cent off the level payment compounds past 10^18 dollars;
    # at 36%, 750.00 a month is interest only and the last payment would be the whole loan.
    with pytest.raises(LoanInputError, match=r"at 100% over 600 months .* whole-cent payments"):
        monthly_payment(D(25_000), D(100), MAX_MONTHS)
    with pytest.raises(LoanInputError, match="shorter term or a lower rate"):
        amortization_schedule(D(25_000), D(36), MAX_MONTHS)


def test_a_one_cent_loan_is_repaid_in_a_month_but_not_over_fifty_years():
    assert monthly_payment("0.01", 12, 1) == D("0.01")  # the interest, 0.0001, rounds to nothing
    assert amortization_schedule("0.01", 0, 1)["payment"].tolist() == [D("0.01")]
    with pytest.raises(LoanInputError, match=r"principal 0.01 is too small to repay over 600 months"):
        monthly_payment("0.01", 0, MAX_MONTHS)
    with pytest.raises(LoanInputError, match="too small"):
        amortization_schedule("0.01", 5, MAX_MONTHS)


def test_a_dollar_over_a_hundred_months_at_zero_is_a_cent_a_month():
    frame = amortization_schedule(D(1), D(0), 100)
    assert set(frame["payment"]) == {D("0.01")}
    assert frame["balance"].iloc[-1] == D("0.00")


def test_the_rate_limits_themselves_are_accepted():
    assert monthly_payment(D(1000), D(100), 1) == D("1083.33")  # 1000 * (1 + 100/1200)
    assert monthly_payment(D(1000), D(0), MAX_MONTHS) > 0
    assert monthly_payment(D(1000), D("6.123456"), 12) > 0  # six decimal places are allowed

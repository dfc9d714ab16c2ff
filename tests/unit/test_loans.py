"""orchestrator.domain.loans: level-payment loan arithmetic in Decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orchestrator.domain.loans import (
    MAX_MONTHS,
    LoanInputError,
    amortization_schedule,
    apr_for_level_payments,
    final_payment,
    finance_charge,
    monthly_payment,
    total_of_payments,
)

D = Decimal


def annuity_float(principal: float, annual_percent: float, months: int) -> float:
    """The textbook annuity formula in plain floats: P*r / (1 - (1+r)^-n), r = annual/1200."""
    r = annual_percent / 1200.0
    if r == 0:
        return principal / months
    return principal * r / (1.0 - (1.0 + r) ** -months)


# -- monthly payment ----------------------------------------------------------------


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
    [(25_000, 6.5, 60), (8_000, 5.9, 48), (32_000, 4.5, 72), (50_000, 3.75, 120), (1_234.56, 19.99, 7)],
)
def test_the_monthly_payment_agrees_with_the_float_annuity_formula_to_the_cent(principal, rate, months):
    expected = annuity_float(principal, rate, months)

    payment = monthly_payment(D(str(principal)), D(str(rate)), months)

    assert abs(float(payment) - expected) <= 0.005 + 1e-9


def test_a_zero_rate_loan_is_the_principal_split_evenly():
    assert monthly_payment(D(1200), D(0), 12) == D("100.00")


def test_a_one_month_loan_repays_principal_plus_one_month_of_interest():
    # 1000 * (1 + 0.12/12) = 1010.00
    assert monthly_payment(D(1000), D(12), 1) == D("1010.00")


def test_the_payment_is_rounded_to_cents():
    payment = monthly_payment(D(10_000), D("7.3"), 37)

    assert payment == payment.quantize(D("0.01"))


def _last_payment_by_hand(principal: float, annual_percent: float, months: int, payment: float) -> float:
    """Carry the exact balance month by month in floats, independently of the Decimal code."""
    r = annual_percent / 1200
    balance = principal
    for _ in range(months - 1):
        balance = balance * (1 + r) - payment
    return round(balance * (1 + r), 2)


def test_the_final_payment_absorbs_the_cent_rounding_of_the_level_payment():
    # The exact payment is 489.1537..., so 59 payments of 489.15 leave 489.41 to pay.
    assert _last_payment_by_hand(25_000, 6.5, 60, 489.15) == 489.41
    assert final_payment(D(25_000), D("6.5"), 60) == D("489.41")


def test_total_of_payments_and_finance_charge_follow_from_the_payments():
    # 59 * 489.15 + 489.41 = 29349.26; 29349.26 - 25000 = 4349.26
    assert total_of_payments(D(25_000), D("6.5"), 60) == D("29349.26")
    assert finance_charge(D(25_000), D("6.5"), 60) == D("4349.26")


def test_a_zero_rate_loan_has_no_finance_charge():
    assert finance_charge(D(1200), D(0), 12) == D(0)


# -- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "months", "mentions", "shown"),
    [
        (0, "5", 12, "principal", "0"),
        (-100, "5", 12, "principal", "-100"),
        (1000, "-1", 12, "rate", "-1"),
        (1000, "100.01", 12, "rate", "100.01"),
        (1000, "5", 0, "term", "0"),
        (1000, "5", MAX_MONTHS + 1, "term", str(MAX_MONTHS + 1)),
    ],
)
def test_out_of_range_inputs_raise_a_value_error_that_names_the_field_and_the_bad_value(
    principal, rate, months, mentions, shown
):
    with pytest.raises(ValueError, match=mentions) as info:
        monthly_payment(D(principal), D(rate), months)

    assert isinstance(info.value, LoanInputError)
    assert str(info.value).endswith(f"got {shown}")


def test_the_limits_themselves_are_accepted():
    assert monthly_payment(D(1000), D(100), 1) == D("1083.33")  # 1000 * (1 + 100/1200)
    assert monthly_payment(D(1000), D(0), MAX_MONTHS) > 0


def test_loan_input_error_is_a_value_error():
    assert issubclass(LoanInputError, ValueError)


# -- APR ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "months"),
    [(25_000, "6.5", 60), (200_000, "6", 360), (10_000, "7", 36), (50_000, "3.75", 120)],
)
def test_the_apr_of_a_plain_loan_equals_its_nominal_rate(principal, rate, months):
    payment = monthly_payment(D(principal), D(rate), months)

    assert apr_for_level_payments(D(principal), payment, months) == D(rate).quantize(D("0.01"))


def test_the_apr_of_an_interest_free_loan_is_zero():
    assert apr_for_level_payments(D(1200), D(100), 12) == D("0.00")


def test_a_fee_deducted_from_the_amount_financed_raises_the_apr_to_the_rate_that_balances_the_payments():
    # $25,000 at 6.5% for 60 months, with a $500 fee: only $24,500 is financed.
    apr = apr_for_level_payments(D(24_500), D("489.15"), 60)

    def pv(annual_percent: float) -> float:
        r = annual_percent / 1200.0
        return 489.15 * (1 - (1 + r) ** -60) / r

    assert apr > D("6.5")
    # The quoted APR (2 places) brackets the exact rate: PV is decreasing in the rate.
    assert pv(float(apr) - 0.005) >= 24_500 >= pv(float(apr) + 0.005)


@pytest.mark.parametrize(
    ("amount", "payment", "months", "message"),
    [
        (0, 100, 12, "amount financed must be greater than 0"),
        (1000, 0, 12, "payment amount must be greater than 0"),
        (1000, 100, 0, "at least 1 month"),
        (1000, 10, 12, "less than the amount financed"),
    ],
)
def test_apr_rejects_impossible_payment_plans(amount, payment, months, message):
    with pytest.raises(LoanInputError, match=message):
        apr_for_level_payments(D(amount), D(payment), months)


# -- properties -----------------------------------------------------------------------------

principals = st.integers(min_value=100_00, max_value=10_000_000_00).map(lambda cents: D(cents) / 100)
rates = st.integers(min_value=0, max_value=3_000).map(lambda bp: D(bp) / 100)  # 0.00% .. 30.00%
terms = st.integers(min_value=1, max_value=MAX_MONTHS - 1)


def schedulable(fn, *args):
    """``fn(*args)``, discarding the example when no whole-cent schedule exists (tested separately)."""
    try:
        return fn(*args)
    except LoanInputError as exc:
        assume("whole-cent" not in str(exc))
        raise


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(principals, rates, terms)
def test_the_monthly_payment_never_rises_as_the_term_grows(principal, rate, months):
    longer = schedulable(monthly_payment, principal, rate, months + 1)
    assert longer <= schedulable(monthly_payment, principal, rate, months)


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(principals, rates, terms, st.integers(min_value=1, max_value=500).map(lambda bp: D(bp) / 100))
def test_the_monthly_payment_never_falls_as_the_rate_rises(principal, rate, months, step):
    higher = schedulable(monthly_payment, principal, rate + step, months)
    assert higher >= schedulable(monthly_payment, principal, rate, months)


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(principals, rates, terms)
def test_the_payments_always_cover_the_principal_and_exactly_so_without_interest(principal, rate, months):
    total = schedulable(total_of_payments, principal, rate, months)
    assert total >= principal
    if rate == 0:
        assert total == principal


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=10_000_00, max_value=1_000_000_00).map(lambda cents: D(cents) / 100),
    st.integers(min_value=100, max_value=3_000).map(lambda bp: D(bp) / 100),
    st.integers(min_value=12, max_value=360),
)
def test_the_apr_of_any_plain_loan_of_ten_thousand_or_more_is_its_nominal_rate(principal, rate, months):
    payment = monthly_payment(principal, rate, months)
    last = final_payment(principal, rate, months)

    assert apr_for_level_payments(principal, payment, months, last) == rate


def test_an_interest_free_loan_that_does_not_split_evenly_is_still_repaid_in_full():
    # 11 x 83.33 = 916.63, so the last payment is 83.37.
    assert final_payment(D(1000), D(0), 12) == D("83.37")
    assert total_of_payments(D(1000), D(0), 12) == D(1000)


def test_a_loan_too_small_to_pay_a_cent_a_month_is_rejected_with_a_reason():
    with pytest.raises(LoanInputError, match="too small"):
        monthly_payment(D(1), D(0), MAX_MONTHS)


def test_a_payment_that_would_repay_the_loan_early_is_rounded_down_and_the_last_payment_absorbs_it():
    # $1,000 at 0% over 600 months: 1.6667 rounds to 1.67, and 599 x 1.67 = 1,000.33
    # would overpay, so the level payment is 1.66 and the last one 5.66.
    assert monthly_payment(D(1000), D(0), MAX_MONTHS) == D("1.66")
    assert final_payment(D(1000), D(0), MAX_MONTHS) == D("5.66")
    assert total_of_payments(D(1000), D(0), MAX_MONTHS) == D("1000.00")


def test_a_loan_whose_final_payment_would_be_a_balloon_is_refused():
    # At 100% a year over 50 years, a cent off the level payment compounds past 10^18 dollars;
    # at 36%, 750.00 a month is interest only and the last payment would be the whole loan.
    with pytest.raises(LoanInputError, match="whole-cent payments"):
        monthly_payment(D(25_000), D(100), MAX_MONTHS)
    with pytest.raises(LoanInputError, match="shorter term or a lower rate"):
        amortization_schedule(D(25_000), D(36), MAX_MONTHS)


@pytest.mark.parametrize("bad", [1.5, True, None, "abc", "NaN", "Infinity"])
def test_non_numbers_and_floats_are_refused_with_the_field_name(bad):
    with pytest.raises(LoanInputError, match="principal"):
        monthly_payment(bad, D(5), 12)
    with pytest.raises(LoanInputError, match="annual rate"):
        monthly_payment(D(1000), bad, 12)


@pytest.mark.parametrize("bad", [12.0, "12", True, None])
def test_the_term_must_be_a_whole_number_of_months(bad):
    with pytest.raises(LoanInputError, match="whole number of months"):
        monthly_payment(D(1000), D(5), bad)


def test_string_and_int_inputs_give_the_same_payment_as_decimals():
    assert monthly_payment("25000", "6.5", 60) == monthly_payment(25_000, D("6.5"), 60) == D("489.15")

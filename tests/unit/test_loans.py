"""orchestrator.domain.loans: level-payment loans in exact cents, their schedule, totals and APR."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orchestrator.domain.loans import (
    CENT,
    MAX_MONTHS,
    LoanInputError,
    PaymentStream,
    amortization_schedule,
    apr,
    apr_for_level_payments,
    final_payment,
    finance_charge,
    max_principal,
    monthly_payment,
    total_interest,
    total_of_payments,
)

D = Decimal
COLUMNS = ["period", "payment", "interest", "principal", "balance"]
MONEY = COLUMNS[1:]


def annuity_float(principal: float, annual_percent: float, months: int) -> float:
    """The textbook annuity formula in plain floats: P*r / (1 - (1+r)^-n), r = annual/1200."""
    r = annual_percent / 1200.0
    if r == 0:
        return principal / months
    return principal * r / (1.0 - (1.0 + r) ** -months)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule_by_hand(principal: Decimal, annual: Decimal, months: int, payment: Decimal) -> list[tuple[Decimal, ...]]:
    """The lender's month-by-month loop, written independently of the vectorised code.

    Rows are (payment, interest, principal, balance); the last payment clears the balance.
    """
    balance, rows = principal, []
    for month in range(1, months + 1):
        # balance * annual is exact, so a tie such as 0.275 is seen as one (annual / 1200 first is not exact).
        interest = half_up(balance * annual / 1200)
        pay = payment if month < months else balance + interest
        balance = balance + interest - pay
        rows.append((pay, interest, pay - interest, balance))
    return rows


def rows_of(frame: pd.DataFrame) -> list[tuple[Decimal, ...]]:
    return [tuple(row) for row in frame[MONEY].itertuples(index=False)]


# -- monthly payment ---------------------------------------------------------------------------


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


# -- the schedule ----------------------------------------------------------------------------------


def test_the_published_example_row_by_row():
    frame = amortization_schedule(D(25_000), D("6.5"), 60)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 60
    assert rows_of(frame)[0] == (D("489.15"), D("135.42"), D("353.73"), D("24646.27"))
    assert rows_of(frame)[1] == (D("489.15"), D("133.50"), D("355.65"), D("24290.62"))
    assert rows_of(frame)[-1] == (D("489.35"), D("2.64"), D("486.71"), D("0.00"))
    assert frame["interest"].sum() == D("4349.20") == total_interest(D(25_000), D("6.5"), 60)


@pytest.mark.parametrize(
    ("principal", "rate", "months"),
    [
        ("25000", "6.5", 60),
        ("200000", "6", 360),
        ("400000", "4.25", MAX_MONTHS),
        ("5000000", "29.99", MAX_MONTHS),
        ("1234.56", "19.99", 7),
        ("10000", "100", 12),
        ("1000", "0", MAX_MONTHS),
        ("999.99", "0", 7),
        ("1000", "12", 1),
        ("750000", "2.875", 480),
    ],
)
def test_the_schedule_is_the_lenders_month_by_month_loop(principal, rate, months):
    frame = amortization_schedule(principal, rate, months)
    payment = monthly_payment(principal, rate, months)

    assert rows_of(frame) == schedule_by_hand(D(principal), D(rate), months, payment)
    assert frame["payment"].iloc[-1] == final_payment(principal, rate, months)


def test_an_exact_half_cent_of_interest_rounds_up():
    # Month 82 of $245.75 at 1.6% over 397 months: 206.25 * 1.6 / 1200 = 0.275 exactly.
    row = amortization_schedule("245.75", "1.6", 397).iloc[81]
    assert (row.interest, row.balance) == (D("0.28"), D("205.74"))


def test_a_600_month_schedule_has_600_exact_rows_with_the_documented_dtypes():
    frame = amortization_schedule(D(400_000), D("4.25"), MAX_MONTHS)
    assert len(frame) == MAX_MONTHS
    assert frame["period"].tolist() == list(range(1, MAX_MONTHS + 1))
    assert frame["period"].dtype == np.int64
    for column in MONEY:
        assert frame[column].dtype == object
        assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in frame[column])
    assert frame["balance"].iloc[-1] == D("0.00")
    assert frame["principal"].sum() == D(400_000)


def test_zero_rate_and_one_month_schedules():
    flat = amortization_schedule(D(1000), D(0), 3)
    assert flat["payment"].tolist() == [D("333.33"), D("333.33"), D("333.34")]
    assert set(flat["interest"]) == {D("0.00")}
    assert flat["balance"].tolist() == [D("666.67"), D("333.34"), D("0.00")]
    single = amortization_schedule(D(1000), D(12), 1)
    assert single["payment"].tolist() == [D("1010.00")]
    assert single["interest"].tolist() == [D("10.00")]
    assert single["balance"].tolist() == [D("0.00")]


def test_a_schedule_at_the_maximum_rate_still_ends_at_zero():
    frame = amortization_schedule(D(10_000), D(100), 24)
    assert frame["interest"].iloc[0] == D("833.33")
    assert frame["balance"].iloc[-1] == D("0.00")
    assert frame["payment"].sum() == total_of_payments(D(10_000), D(100), 24)


def test_the_schedule_does_not_share_state_between_calls():
    first = amortization_schedule(D(25_000), D("6.5"), 60)
    first.loc[0, "balance"] = D(0)
    assert amortization_schedule(D(25_000), D("6.5"), 60)["balance"].iloc[0] == D("24646.27")


# -- validation -------------------------------------------------------------------------------------

LOAN_FUNCTIONS: list[Callable[..., Any]] = [
    monthly_payment,
    final_payment,
    total_of_payments,
    total_interest,
    finance_charge,
    amortization_schedule,
]

BAD_LOANS = [
    # (principal, rate, months, message)
    (0, "5", 12, "principal must be greater than 0, got 0"),
    (D(-100), "5", 12, "principal must be greater than 0, got -100"),
    ("1000.001", "5", 12, "principal must be a whole number of cents, got 1000.001"),
    ("1/3", "5", 12, "principal must be a whole number of cents"),
    (1000.0, "5", 12, "principal must be an int, a str, a Decimal or a Fraction, not float"),
    (True, "5", 12, "principal must be .* not bool"),
    (None, "5", 12, "principal must be .* not NoneType"),
    ("abc", "5", 12, "principal is not a number: 'abc'"),
    ("NaN", "5", 12, "principal must be a finite number, got NaN"),
    (D("sNaN"), "5", 12, "principal must be a finite number"),
    ("Infinity", "5", 12, "principal must be a finite number, got Infinity"),
    (1000, "-1", 12, "annual rate must be between 0 and 100 percent, got -1"),
    (1000, "100.01", 12, "annual rate must be between 0 and 100 percent, got 100.01"),
    (1000, "6.1234567", 12, "annual rate may have at most 6 decimal places, got 6.1234567"),
    (1000, "20/3", 12, "annual rate may have at most 6 decimal places"),
    (1000, 6.5, 12, "annual rate must be .* not float"),
    (1000, False, 12, "annual rate must be .* not bool"),
    (1000, "six", 12, "annual rate is not a number"),
    (1000, "-Infinity", 12, "annual rate must be a finite number"),
    (1000, "5", 0, "term must be between 1 and 600 months, got 0"),
    (1000, "5", -12, "term must be between 1 and 600 months, got -12"),
    (1000, "5", MAX_MONTHS + 1, "term must be between 1 and 600 months, got 601"),
    (1000, "5", 12.0, "term must be a whole number of months, got 12.0"),
    (1000, "5", "12", "term must be a whole number of months, got '12'"),
    (1000, "5", True, "term must be a whole number of months, got True"),
    (1000, "5", None, "term must be a whole number of months, got None"),
    (1000, "5", D(12), "term must be a whole number of months"),
]


@pytest.mark.parametrize("function", LOAN_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("principal", "rate", "months", "message"), BAD_LOANS)
def test_every_loan_function_refuses_bad_input_naming_the_field_and_the_value(
    function, principal, rate, months, message
):
    with pytest.raises(LoanInputError, match=message):
        function(principal, rate, months)


def test_loan_input_error_is_a_value_error():
    assert issubclass(LoanInputError, ValueError)


@pytest.mark.parametrize(
    ("budget", "rate", "months", "message"),
    [
        (0, "5", 12, "monthly budget must be greater than 0, got 0"),
        ("-1", "5", 12, "monthly budget must be greater than 0, got -1"),
        ("0.001", "5", 12, "a budget of 0.001 a month cannot repay even one cent"),
        (100.0, "5", 12, "monthly budget must be .* not float"),
        ("lots", "5", 12, "monthly budget is not a number"),
        ("NaN", "5", 12, "monthly budget must be a finite number"),
        (100, "101", 12, "annual rate must be between 0 and 100 percent"),
        (100, 5.0, 12, "annual rate must be .* not float"),
        (100, "5", 0, "term must be between 1 and 600 months"),
        (100, "5", 12.5, "term must be a whole number of months"),
        ("0.01", "5", MAX_MONTHS, "whole-cent payments"),
    ],
)
def test_max_principal_refuses_bad_input(budget, rate, months, message):
    with pytest.raises(LoanInputError, match=message):
        max_principal(budget, rate, months)


@pytest.mark.parametrize(
    ("amount", "payment", "months", "final", "message"),
    [
        (0, 100, 12, None, "amount financed must be greater than 0"),
        (1000, 0, 12, None, "payment amount must be greater than 0"),
        (1000, 100, 12, "-1", "payment stream 2: payment amount must be greater than 0"),
        (1000, 100, 0, None, "term must be between 1 and 600 months, got 0"),
        (1000, 100, 12.0, None, "term must be a whole number of months"),
        (1000, 10, 12, None, "less than the amount financed"),
        (1000, 100.0, 12, None, "payment amount must be .* not float"),
    ],
)
def test_apr_for_level_payments_refuses_impossible_payment_plans(amount, payment, months, final, message):
    with pytest.raises(LoanInputError, match=message):
        apr_for_level_payments(amount, payment, months, final)


# -- APR of level payments -------------------------------------------------------------------------


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


# -- properties ----------------------------------------------------------------------------------------

principals = st.integers(min_value=100_00, max_value=5_000_000_00).map(lambda cents: D(cents) / 100)
rates = st.integers(min_value=0, max_value=3_000).map(lambda bp: D(bp) / 100)  # 0.00% .. 30.00%
terms = st.integers(min_value=1, max_value=MAX_MONTHS)


def schedulable(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, discarding the example when no whole-cent schedule exists (tested above)."""
    try:
        return fn(*args)
    except LoanInputError as exc:
        assume("whole-cent" not in str(exc))
        raise


@settings(max_examples=150, deadline=None)  # no time limits: the machine is shared and noisy
@given(principals, rates, terms)
def test_the_schedule_sums_to_principal_plus_interest_to_the_cent(principal, rate, months):
    frame = schedulable(amortization_schedule, principal, rate, months)
    payments, interest, repaid = frame["payment"].sum(), frame["interest"].sum(), frame["principal"].sum()
    assert repaid == principal
    assert payments == principal + interest
    assert payments == total_of_payments(principal, rate, months)
    assert interest == total_interest(principal, rate, months) == finance_charge(principal, rate, months)
    assert (frame["payment"].iloc[:-1] == monthly_payment(principal, rate, months)).all()
    assert frame["payment"].iloc[-1] == final_payment(principal, rate, months)


@settings(max_examples=150, deadline=None)
@given(principals, rates, terms)
def test_every_row_follows_the_rounded_interest_convention_and_ends_at_zero(principal, rate, months):
    frame = schedulable(amortization_schedule, principal, rate, months)
    previous = [principal, *frame["balance"].iloc[:-1]]
    for before, row in zip(previous, frame.itertuples(index=False), strict=True):
        assert row.interest == half_up(before * rate / 1200)
        assert before + row.interest - row.payment == row.balance
        assert row.interest + row.principal == row.payment
        assert row.balance >= 0 and row.interest >= 0
        assert all(getattr(row, c) == getattr(row, c).quantize(CENT) for c in MONEY)
    assert frame["balance"].iloc[-1] == D("0.00")
    assert (frame["balance"].iloc[:-1] > 0).all()


@settings(max_examples=40, deadline=None)
@given(principals, rates, terms)
def test_the_vectorised_schedule_equals_the_month_by_month_loop(principal, rate, months):
    frame = schedulable(amortization_schedule, principal, rate, months)
    payment = monthly_payment(principal, rate, months)
    assert rows_of(frame) == schedule_by_hand(principal, rate, months, payment)


@settings(max_examples=150, deadline=None)
@given(principals, rates, st.integers(min_value=1, max_value=MAX_MONTHS - 1))
def test_the_monthly_payment_never_rises_as_the_term_grows(principal, rate, months):
    longer = schedulable(monthly_payment, principal, rate, months + 1)
    assert longer <= schedulable(monthly_payment, principal, rate, months)


@settings(max_examples=150, deadline=None)
@given(principals, rates, terms, st.integers(min_value=1, max_value=500).map(lambda bp: D(bp) / 100))
def test_the_monthly_payment_never_falls_as_the_rate_rises(principal, rate, months, step):
    higher = schedulable(monthly_payment, principal, rate + step, months)
    assert higher >= schedulable(monthly_payment, principal, rate, months)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=5_000_00, max_value=2_000_000_00).map(lambda c: D(c) / 100), rates, terms)
def test_the_apr_of_the_schedules_own_payments_is_the_nominal_rate(principal, rate, months):
    # The schedule satisfies P = sum (payment_k - e_k) v^k at the nominal rate, e_k being the
    # interest roundings (|e_k| <= half a cent). Those shift the APR by at most about 12 / P
    # points (2.4 thousandths from $5,000), which rounding to 2 places absorbs.
    frame = schedulable(amortization_schedule, principal, rate, months)
    payment, last = frame["payment"].iloc[0], frame["payment"].iloc[-1]
    streams = [PaymentStream(last, 1, months)]
    if months > 1:
        streams.insert(0, PaymentStream(payment, months - 1, 1))
    assert apr(principal, streams, 12) == rate
    assert apr_for_level_payments(principal, payment, months, last) == rate


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.integers(min_value=50_00, max_value=20_000_00),
        st.integers(min_value=1, max_value=500),  # small budgets, where the round-down rule bites
    ).map(lambda c: D(c) / 100),
    st.integers(min_value=0, max_value=2_500).map(lambda bp: D(bp) / 100),
    terms,
)
def test_max_principal_is_the_largest_loan_the_budget_pays(budget, rate, months):
    best = schedulable(max_principal, budget, rate, months)
    assert monthly_payment(best, rate, months) <= budget
    try:
        more = monthly_payment(best + CENT, rate, months)
    except LoanInputError:
        return  # one cent more cannot even be scheduled
    assert more > budget


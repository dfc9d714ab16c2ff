"""orchestrator.domain.loans: properties over many loans (Hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from tests.unit.loan_helpers import MONEY, D, half_up, rows_of, schedule_by_hand

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

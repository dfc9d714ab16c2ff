"""orchestrator.domain.loans: the amortization schedule, row by row."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from orchestrator.domain.loans import (
    MAX_MONTHS,
    amortization_schedule,
    final_payment,
    monthly_payment,
    total_interest,
    total_of_payments,
)
from tests.unit.loan_helpers import COLUMNS, MONEY, D, rows_of, schedule_by_hand


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

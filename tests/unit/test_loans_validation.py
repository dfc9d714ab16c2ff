"""orchestrator.domain.loans: bad input is refused, naming the field and the value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.domain.loans import (
    MAX_MONTHS,
    LoanInputError,
    amortization_schedule,
    apr_for_level_payments,
    final_payment,
    finance_charge,
    max_principal,
    monthly_payment,
    total_interest,
    total_of_payments,
)
from tests.unit.loan_helpers import D

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

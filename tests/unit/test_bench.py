"""orchestrator.bench: the percentile helper and the bench's fixed inputs (the run itself needs real voices)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrator.bench import BENCH_UTTERANCES, percentile
from orchestrator.nlu.numbers import extract_loan_terms


def test_the_percentile_of_nothing_is_zero():
    assert percentile([], 50) == 0.0


def test_percentiles_interpolate_linearly_between_ranks():
    values = [10.0, 20.0, 30.0, 40.0]

    # Rank (n - 1) * q: 1.5 -> 25.0; 2.85 -> 30 + 0.85 * 10 = 38.5; 0 -> 10; 3 -> 40.
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == 38.5
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0


def test_percentiles_do_not_depend_on_input_order():
    assert percentile([5.0, 1.0, 3.0], 50) == percentile([1.0, 3.0, 5.0], 50) == 3.0


def test_percentiles_are_rounded_to_a_tenth():
    assert percentile([1.0, 1.26], 50) == pytest.approx(1.1)


def test_the_bench_opens_with_the_issue_example_it_can_quote():
    terms = extract_loan_terms(BENCH_UTTERANCES[0])

    assert (terms.principal, terms.rate_percent, terms.term_months) == (Decimal(25000), Decimal("6.5"), 60)


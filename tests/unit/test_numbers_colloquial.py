"""Amounts as callers say them casually: "eighteen grand", "eighteen k", "one eight thousand"."""

from __future__ import annotations

import pytest

from orchestrator.dialog.slots import read_slots
from orchestrator.nlu.numbers import digitize


@pytest.mark.parametrize(
    ("said", "principal"),
    [
        ("eighteen grand", "18000"),
        ("um, about eighteen grand I think", "18000"),
        ("eighteen k", "18000"),
        ("18 k", "18000"),
        ("one point eight k", "1800"),
        ("one eight thousand", "18000"),
        ("two-five thousand dollars", "25000"),
    ],
)
def test_casual_amounts_fill_the_principal(said: str, principal: str):
    assert read_slots(said, asked="principal").values == {"principal": principal}


def test_grand_is_read_as_dollars_even_unasked():
    assert read_slots("a loan of twenty grand").values == {"principal": "20000"}


def test_digits_said_one_by_one_without_a_scale_stay_separate_numbers():
    assert digitize("one two three four") == "1 2 3 4"
    assert read_slots("one two three four", asked="principal").problem is not None


def test_ordinary_compound_numbers_are_unchanged():
    assert digitize("twenty five thousand") == "25000"
    assert digitize("a hundred and fifty thousand") == "150000"

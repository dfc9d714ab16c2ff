"""orchestrator.textmetrics: word error rate with number-aware normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.textmetrics import normalize_words, wer


def test_normalisation_lower_cases_drops_punctuation_and_digitizes():
    assert normalize_words("Hello, World!") == ["hello", "world"]
    assert normalize_words("I'd like to borrow twenty five thousand dollars") == [
        "id", "like", "to", "borrow", "25000", "dollars",
    ]


def test_written_and_spoken_forms_of_the_same_request_normalise_alike():
    written = "I'd like to borrow $25,000 over 5 years at 6.5%."
    spoken = "I'd like to borrow twenty five thousand dollars over five years at six point five percent"

    assert normalize_words(written) == normalize_words(spoken)
    assert wer(written, spoken) == 0.0


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [("$25,000", "25000 dollars"), ("6.50%", "6.5 percent"), ("one dollar", "$1"), ("It\u2019s fine.", "its fine")],
)
def test_equivalent_spellings_have_no_errors(reference, hypothesis):
    assert wer(reference, hypothesis) == 0.0


def test_one_substitution_in_three_words_is_a_third():
    assert wer("a b c", "a x c") == pytest.approx(1 / 3)


def test_one_deletion_in_two_words_is_a_half():
    assert wer("hello world", "hello") == pytest.approx(0.5)


def test_insertions_count_against_the_reference_length():
    assert wer("hello", "hello big world") == pytest.approx(2.0)


def test_an_empty_reference_is_perfect_only_for_an_empty_hypothesis():
    assert wer("", "") == 0.0
    assert wer("", "something") == 1.0


def test_a_completely_wrong_hypothesis_of_the_same_length_scores_one():
    assert wer("the cat sat", "dogs run far") == 1.0


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.lists(st.sampled_from(["loan", "rate", "bank", "pay", "car", "home"]), max_size=12))
def test_any_text_compared_with_itself_has_no_errors(words):
    text = " ".join(words)

    assert wer(text, text) == 0.0


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(
    st.lists(st.sampled_from(["loan", "rate", "bank", "pay"]), min_size=1, max_size=10),
    st.lists(st.sampled_from(["loan", "rate", "bank", "pay"]), max_size=10),
)
def test_wer_is_bounded_by_the_larger_text_over_the_reference(ref, hyp):
    score = wer(" ".join(ref), " ".join(hyp))

    assert 0.0 <= score <= max(len(ref), len(hyp)) / len(ref)


def test_hesitations_are_not_counted_as_recognition_errors():
    assert wer("Um, I'd like to borrow, uh, 25 grand", "I'd like to borrow $25,000") == 0.0
    assert wer("um uh", "") == 0.0

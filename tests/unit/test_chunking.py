"""orchestrator.tts.chunking: replies split into sentences, a long first sentence cut at its first clause."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.dialog.phrases import CAPABILITIES, GREETING
from orchestrator.tts.chunking import split_for_speech

QUOTE = (
    "Here is your estimate. For $25,000 over 60 months at 6.5% a year, the monthly payment is $489.15, "
    "and the APR is 6.50%. In total you would repay $29,349.00. This is an estimate, not an offer."
)


def test_a_reply_is_split_into_its_sentences():
    assert split_for_speech("One. Two! Three?") == ["One.", "Two!", "Three?"]


def test_decimals_and_dollar_amounts_are_never_split():
    pieces = split_for_speech(QUOTE)

    assert pieces == [
        "Here is your estimate.",
        "For $25,000 over 60 months at 6.5% a year, the monthly payment is $489.15, and the APR is 6.50%.",
        "In total you would repay $29,349.00.",
        "This is an estimate, not an offer.",
    ]
    for figure in ("$25,000", "6.5%", "$489.15", "6.50%", "$29,349.00"):
        assert sum(figure in p for p in pieces) == 1


def test_a_sentence_starting_with_a_figure_still_starts_a_new_piece():
    assert split_for_speech("Is it 6.5? Yes! 3 more. $5 left.") == ["Is it 6.5?", "Yes!", "3 more.", "$5 left."]


def test_a_long_first_sentence_is_cut_at_its_first_clause():
    pieces = split_for_speech("For $25,000 over 60 months at 6.5% a year, the monthly payment is $489.15. Next.")

    assert pieces == ["For $25,000 over 60 months at 6.5% a year,", "the monthly payment is $489.15.", "Next."]


def test_only_the_first_sentence_is_ever_cut():
    text = "This first sentence, being rather long as it is, gets cut. But this one, being second and long, is not."

    pieces = split_for_speech(text)

    assert pieces == ["This first sentence,", "being rather long as it is, gets cut.",
                      "But this one, being second and long, is not."]


def test_a_short_first_sentence_is_not_cut():
    assert split_for_speech("Hello, world. Ok.") == ["Hello, world.", "Ok."]


def test_a_clause_shorter_than_three_words_is_not_cut_off():
    text = "Hi, this is a very long first sentence with many words in it. Next one."

    assert split_for_speech(text) == ["Hi, this is a very long first sentence with many words in it.", "Next one."]


def test_a_long_first_sentence_without_a_clause_boundary_stays_whole():
    text = "This sentence has quite a few words in it but no clause at all. Two."

    assert split_for_speech(text) == ["This sentence has quite a few words in it but no clause at all.", "Two."]


def test_a_spaced_dash_is_a_clause_boundary():
    text = "I have three words - then the rest of a long sentence goes here. Next."

    assert split_for_speech(text) == ["I have three words", "then the rest of a long sentence goes here.", "Next."]


def test_the_dialogs_fixed_phrases_split_into_whole_sentences():
    # The first sentence is cut at a clause so the first audio comes sooner; the rest stay whole.
    assert split_for_speech(GREETING) == [
        "Hello, I can estimate loan and mortgage payments,",
        "and help with lost cards, balances and transfers.",
        "How can I help?",
    ]
    pieces = split_for_speech(CAPABILITIES)
    assert " ".join(pieces) == CAPABILITIES
    assert pieces[0].endswith(",") and all(p.endswith(".") for p in pieces[1:])


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_gives_no_pieces(text):
    assert split_for_speech(text) == []


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.lists(st.sampled_from(["Hello", "world", "pay", "$489.15", "6.5%", "now,", "at", "-", "OK"]),
                min_size=1, max_size=30))
def test_splitting_loses_no_words(words):
    text = " ".join(words) + "."

    pieces = split_for_speech(text)

    kept = " ".join(pieces).split()
    assert [w for w in kept if w != "-"] == [w for w in text.split() if w != "-"]

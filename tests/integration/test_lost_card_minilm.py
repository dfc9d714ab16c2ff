"""With the real MiniLM head, a card number alone never reads as a lost card; a reported loss still does.

Before the fix the head gave "What can you do? I would pay with my card [CARD]" to
``lost_card`` with 0.81: the mask, not the words, decided. Each sentence goes through
the redactor first, as in the pipeline, and the number is checked to be gone.
"""

from __future__ import annotations

import pytest

from orchestrator.compliance import redact
from orchestrator.nlu.intents import load_intent_classifier

pytestmark = pytest.mark.models

FORMS = [
    "4111, 1111, 1111, 1111.",
    "four one one one, one one one one, one one one one, one one one one",
    "forty one eleven, eleven eleven, eleven eleven, eleven eleven",
    "four one double one, triple one one, 1111, double one double one",
    # 4111 1111 1111 1111 in Arabic-Indic digits (escaped, so the file stays ASCII)
    " ".join(["\u0664" + "\u0661" * 3] + ["\u0661" * 4] * 3),
]


@pytest.fixture(scope="module")
def minilm():
    return load_intent_classifier("minilm")


def _redacted(text: str) -> str:
    clean = redact(text)
    assert "[CARD]" in clean and not any(ch.isdigit() for ch in clean), clean
    return clean


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "sentence", ["What can you do? I would pay with my card {}", "My card number is {}", "{} is my card"]
)
def test_a_card_number_without_a_loss_is_not_a_lost_card(minilm, sentence, form):
    assert minilm.classify(_redacted(sentence.format(form))).intent != "lost_card"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("sentence", "intent"),
    [
        ("What's the balance on my card {}?", "balance"),
        ("I want to move money to my card {} please", "transfer"),
        ("My card is {} and I'd like a personal loan", "loan_quote"),
        ("I want a mortgage, my card is {}", "mortgage"),
    ],
)
def test_a_card_number_in_a_question_leaves_the_question_its_intent(minilm, sentence, form, intent):
    assert minilm.classify(_redacted(sentence.format(form))).intent == intent


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "sentence", ["My card number is {} It was stolen.", "Please block my card, {}", "I lost my card. It's {}"]
)
def test_a_card_reported_lost_is_a_lost_card_whatever_form_its_number_took(minilm, sentence, form):
    assert minilm.classify(_redacted(sentence.format(form))).intent == "lost_card"


def test_what_can_you_do_with_a_card_number_is_a_help_question(minilm):
    assert minilm.classify(_redacted("What can you do? I would pay with my card 4111 1111 1111 1111")).intent == "help"

"""The seeded rules caller: how it says values, what it answers to each kind of reply, and that a seed fixes it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from orchestrator.dialog import phrases as say
from orchestrator.dialog.slots import read_slots
from orchestrator.personas.model import Persona, shipped_personas
from orchestrator.personas.styles import speak_amount, speak_rate, speak_term
from orchestrator.scenarios.caller import Observation, RulesCaller, detect_asked
from orchestrator.scenarios.model import Goal

GOAL = {"principal": 18000, "rate": "4.9", "term_months": 36}
HELD = {"principal": "18000", "term_months": 36, "rate_percent": "4.9"}


def caller(seed: int = 0, **goal: object) -> RulesCaller:
    return RulesCaller(Goal.model_validate({**GOAL, **goal}), seed)


@pytest.mark.parametrize("form", ["words", "spelled", "grand", "k", "digits"])
def test_every_amount_form_of_the_persona_styles_is_read_back_as_the_amount(form: str):
    said = speak_amount(18000, form)
    assert read_slots(said, asked="principal").values == {"principal": "18000"}, said


@pytest.mark.parametrize(("months", "form", "text"), [(36, "years", "3 years"), (36, "spelled", "three years"),
                                                      (36, "months", "36 months"), (7, "years", "7 months"),
                                                      (18, "spelled", "eighteen months")])
def test_terms_are_said_in_years_only_when_they_are_whole_years(months: int, form: str, text: str):
    assert speak_term(months, form) == text
    assert read_slots(text, asked="term_months").values == {"term_months": months}


def test_rates_in_words_are_read_back():
    said = speak_rate(Decimal("4.9"), "spelled")
    assert said == "four point nine percent"
    assert read_slots(said, asked="rate_percent").values == {"rate_percent": "4.9"}


def test_a_goal_persona_must_be_a_shipped_persona():
    with pytest.raises(ValidationError, match="unknown persona 'plain'"):
        Goal.model_validate({**GOAL, "persona": "plain"})


@pytest.mark.parametrize(("reply", "slot"), [
    (say.ASK["principal"], "principal"), (say.ASK["term_months"], "term_months"),
    (say.ASK["rate_percent"], "rate"), (say.MORTGAGE_ASK_PRINCIPAL, "principal"),
    ("Is that 36 months or 36 years?", "term_months"),
    ("Great, thanks. And what interest rate would you like me to use?", "rate"),
    (say.GREETING, None), ("Just to confirm: a loan of $18,000. Shall I work out the estimate?", None),
])
def test_the_asked_slot_is_read_from_the_last_question(reply: str, slot: str | None):
    assert detect_asked(reply) == slot


def test_the_caller_answers_the_question_it_was_asked():
    line = caller().next(Observation(say.ASK["rate_percent"], "collecting_loan", {"principal": "18000"}))
    assert read_slots(line.text, asked="rate_percent").values == {"rate_percent": "4.9"}


def test_a_caller_with_its_own_order_gives_its_next_value_whatever_is_asked():
    c = caller(order=["rate", "term_months", "principal"])
    opening = c.opening()
    assert read_slots(opening.text).values == {"rate_percent": "4.9"}
    line = c.next(Observation(say.ASK["principal"], "collecting_loan", {"rate_percent": "4.9"}))
    assert read_slots(line.text, asked="principal").values == {"term_months": 36}


def test_the_caller_says_yes_only_to_a_confirmation_of_its_own_values():
    c = caller()
    yes = c.next(Observation("Just to confirm: ... Shall I work out the estimate?", "confirming", HELD))
    assert yes.why == "confirm"
    wrong = c.next(Observation("Just to confirm: ...", "confirming", {**HELD, "principal": "8000"}))
    assert wrong.why == "correct principal"
    assert read_slots(wrong.text).values == {"principal": "18000"}


def test_a_slip_is_said_first_and_corrected_once_the_bot_holds_it():
    c = caller(slips={"principal": 80000})
    first = c.next(Observation(say.ASK["principal"], "collecting_loan", {}))
    assert read_slots(first.text, asked="principal").values == {"principal": "80000"}
    fix = c.next(Observation(say.ASK["term_months"], "collecting_loan", {"principal": "80000"}))
    assert fix.why == "correct principal" and read_slots(fix.text).values == {"principal": "18000"}


def test_a_refused_value_is_said_plainly_once_then_the_fallback_then_the_caller_gives_up():
    refusal = "I can quote loans from $100 to $10,000,000. How much would you like to borrow?"
    c = caller(principal=20_000_000, fallback={"principal": 10_000_000}, persona="colloquial")
    plain = c.next(Observation(refusal, "collecting_loan", {}))
    assert plain.why == "say principal plainly" and "$20,000,000" in plain.text
    settle = c.next(Observation(refusal + " ", "collecting_loan", {}))
    assert settle.why.startswith("settle for principal") and "$10,000,000" in settle.text
    gives_up = c.next(Observation(refusal + "  ", "collecting_loan", {}))
    assert gives_up.gives_up


def test_a_terse_caller_answers_with_a_bare_number_and_gives_the_unit_when_asked_for_it():
    c = caller(persona="terse")
    bare = c.next(Observation(say.ASK["term_months"], "collecting_loan", {"principal": "18000"}))
    assert bare.text == "36."
    unit = c.next(Observation("Is that 36 months or 36 years? " + say.ASK["term_months"], "collecting_loan", {}))
    assert unit.text == "36 months."


def test_the_caller_gives_up_when_the_bot_says_the_same_thing_three_times():
    c = caller()
    lines = [c.next(Observation("Sorry, I can't help with that.", "start")) for _ in range(3)]
    assert [line.gives_up for line in lines] == [False, False, True]


def test_one_seed_gives_one_conversation_and_seeds_vary_it():
    def lines(seed: int) -> list[str]:
        c = caller(seed, persona="hesitant")
        return [c.opening().text, *(c.next(Observation(q, "collecting_loan")).text for q in say.ASK.values())]

    assert lines(3) == lines(3)
    assert len({tuple(lines(seed)) for seed in range(8)}) > 1


def test_every_persona_opening_names_the_product():
    for name in shipped_personas():
        opening = caller(persona=name).opening().text.lower()
        assert "loan" in opening, name
        assert "mortgage" in caller(persona=name, intent="mortgage").opening().text.lower()


def test_the_caller_says_its_values_in_its_personas_style_the_robustness_lab_uses():
    persona = Persona.model_validate({"name": "g", "voice": {"engine": "piper"},
                                      "style": {"numbers": "grand", "rates": "spelled"}})
    c = RulesCaller(Goal.model_validate(GOAL), 0, persona)
    amount = c.next(Observation(say.ASK["principal"], "collecting_loan", {}))
    assert amount.text == "18 grand."
    rate = c.next(Observation(say.ASK["rate_percent"], "collecting_loan", {"principal": "18000"}))
    assert rate.text == "Four point nine percent."
    assert read_slots(rate.text, asked="rate_percent").values == {"rate_percent": "4.9"}

"""How a simulated caller talks: a small persona model for the goal-driven callers.

A persona is a speaking style, not a voice: which words it uses for an
amount ("$18,000", "eighteen grand", "eighteen k", "one eight thousand"), a
term (months or years) and a rate, its fillers, how it says yes, how many
values it volunteers before it is asked, and how often it first says a value
wrong and then corrects itself. Every choice is drawn from a seeded
``random.Random``, so one seed gives one conversation.

``plain`` forms are what any caller falls back to when the bot did not
understand: digits with their unit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.nlu.spoken import int_to_words

__all__ = ["PERSONAS", "Persona", "say_amount", "say_rate", "say_term", "say_value"]


@dataclass(frozen=True, slots=True)
class Persona:
    """A speaking style."""

    name: str
    description: str  # also the LLM caller's brief
    amount_forms: tuple[str, ...] = ("digits",)  # digits, words, grand, k, digit_words
    rate_forms: tuple[str, ...] = ("digits",)  # digits, words
    term_forms: tuple[str, ...] = ("months",)  # months, years, words
    fillers: tuple[str, ...] = ()
    filler_rate: float = 0.0
    openings: tuple[str, ...] = ("I'd like a quote for a {product}.",)
    yes: tuple[str, ...] = ("Yes, please.",)
    corrections: tuple[str, ...] = ("Sorry, I meant {value}.",)
    give_ups: tuple[str, ...] = ("Never mind, I'll call back another time. Goodbye.",)
    volunteer: int = 0  # values said in the opening, before any is asked for
    slip_rate: float = 0.0  # chance that a value is first said wrong, then corrected
    bare: bool = False  # answers "what rate?" with "4.9", no unit


PERSONAS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona(
            "plain",
            "A clear, cooperative caller who answers each question directly.",
            openings=("Hi, I'd like a quote for a {product}.", "Hello, can you estimate a {product} for me?"),
            yes=("Yes, please.", "Yes, that's right."),
        ),
        Persona(
            "hesitant",
            "A hesitant caller who says um and uh, hedges, and takes a moment over each answer.",
            amount_forms=("words", "digits"),
            rate_forms=("words", "digits"),
            term_forms=("years", "months"),
            fillers=("um, ", "uh, ", "let me think, ", "hmm, "),
            filler_rate=0.7,
            openings=("Um, hi. I was, uh, thinking about maybe a {product}?", "Hi... I think I'd like a {product}."),
            yes=("Um, yes, I think so.", "Uh, yeah, that sounds right.", "Yes... yes, go ahead."),
            corrections=("Oh, sorry, no, I meant {value}.", "Wait, um, sorry, {value}."),
            give_ups=("Um, never mind, I'll think about it. Bye.",),
        ),
        Persona(
            "colloquial",
            "A relaxed caller who talks casually about money: grand, k, years rather than months.",
            amount_forms=("grand", "k", "digit_words", "words"),
            rate_forms=("digits", "words"),
            term_forms=("years", "words"),
            fillers=("so, ", "yeah, "),
            filler_rate=0.3,
            openings=("Hey, I'm after a {product}.", "Hiya, looking to get a {product} sorted."),
            yes=("Yep, go for it.", "Yeah, sounds good."),
            corrections=("Nah, scratch that, {value}.", "Actually, make that {value}."),
            give_ups=("Forget it then, cheers. Bye.",),
        ),
        Persona(
            "terse",
            "A terse caller who answers with as few words as possible, often just a number.",
            amount_forms=("digits",),
            rate_forms=("digits",),
            term_forms=("months", "years"),
            openings=("{product} quote.",),
            yes=("Yes.", "Yep."),
            corrections=("No. {value}.",),
            give_ups=("Forget it. Bye.",),
            bare=True,
        ),
        Persona(
            "chatty",
            "A chatty caller who gives every detail up front in one long sentence.",
            amount_forms=("words", "digits", "grand"),
            rate_forms=("words", "digits"),
            term_forms=("years", "months"),
            fillers=("oh, ", "well, "),
            filler_rate=0.3,
            openings=("Hi there! I'm hoping to get a {product},", "Good morning! So I'd love a {product},"),
            yes=("Yes, absolutely, go ahead!", "Perfect, yes please!"),
            corrections=("Oh, silly me, it's actually {value}.",),
            volunteer=3,
        ),
        Persona(
            "corrector",
            "A caller who often says a figure wrong and corrects it straight away.",
            amount_forms=("digits", "words"),
            rate_forms=("digits", "words"),
            term_forms=("months", "years"),
            openings=("Hello, I'd like a quote for a {product}.",),
            yes=("Yes, that's right now.",),
            corrections=("Sorry, I got that wrong: {value}.", "No wait, I meant {value}."),
            slip_rate=0.5,
        ),
    )
}


def _spell_rate(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    words = int_to_words(int(whole))
    if frac:
        words += " point " + " ".join(int_to_words(int(d)) for d in frac)
    return words


def say_amount(value: Decimal, form: str) -> str:
    """``18000`` as ``form`` says it; a form that does not fit the value falls back to digits."""
    whole = value == value.to_integral_value()
    thousands = int(value) // 1000 if whole and int(value) % 1000 == 0 and value >= 1000 else None
    if form == "words" and whole:
        return f"{int_to_words(int(value))} dollars"
    if form == "grand" and thousands is not None:
        return f"{int_to_words(thousands)} grand"
    if form == "k" and thousands is not None:
        return f"{int_to_words(thousands)} k"
    if form == "digit_words" and thousands is not None and 10 <= thousands <= 99 and "0" not in str(thousands):
        return " ".join(int_to_words(int(d)) for d in str(thousands)) + " thousand"
    return f"${value:,.0f}" if whole else f"${value:,.2f}"


def say_rate(value: Decimal, form: str) -> str:
    """``4.9`` as ``form`` says it: "4.9 percent" or "four point nine percent"."""
    if form == "words":
        return f"{_spell_rate(value)} percent"
    return f"{format(value.normalize(), 'f')} percent"


def say_term(months: int, form: str) -> str:
    """``36`` as ``form`` says it: "36 months", "three years" or "thirty-six months"."""
    if form == "years" and months % 12 == 0:
        years = months // 12
        return "one year" if years == 1 else f"{int_to_words(years)} years"
    if form == "years" and months == 18:
        return "a year and a half"
    if form == "words":
        return f"{int_to_words(months)} month{'' if months == 1 else 's'}"
    return f"{months} month{'' if months == 1 else 's'}"


def say_value(slot: str, value: Decimal, persona: Persona, rng: random.Random, *, plain: bool = False) -> str:
    """One value of a goal slot in the persona's words (``plain``: digits and the unit)."""
    if slot == "principal":
        return say_amount(value, "digits" if plain else rng.choice(persona.amount_forms))
    if slot == "rate":
        return say_rate(value, "digits" if plain else rng.choice(persona.rate_forms))
    return say_term(int(value), "months" if plain else rng.choice(persona.term_forms))

"""A goal-driven caller's manner: the words around its figures (``Style.manner``).

The figures themselves are said through ``say_in_style``; a manner gives the
lines a simulated caller needs besides them, in its own register, and two
habits: a terse caller answers "what rate?" with the bare number, a chatty
one volunteers every value in its first sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.personas.model import Manner, Style

__all__ = ["MANNERS", "MannerWords", "manner_of"]


@dataclass(frozen=True, slots=True)
class MannerWords:
    """The lines of one manner; ``{product}`` and ``{value}`` are filled in by the caller."""

    brief: str  # the manner in a sentence (the LLM caller's brief)
    openings: tuple[str, ...]
    yes: tuple[str, ...]
    corrections: tuple[str, ...]
    give_ups: tuple[str, ...]
    volunteer: int = 0  # values said in the opening, before any is asked for
    bare: bool = False  # answers a question about the term or rate with the bare number


MANNERS: dict[Manner, MannerWords] = {
    "plain": MannerWords(
        "A clear, cooperative caller who answers each question directly.",
        openings=("Hi, I'd like a quote for a {product}.", "Hello, can you estimate a {product} for me?"),
        yes=("Yes, please.", "Yes, that's right."),
        corrections=("Sorry, I meant {value}.", "No, it's {value}."),
        give_ups=("Never mind, I'll call back another time. Goodbye.",),
    ),
    "hesitant": MannerWords(
        "A hesitant caller who hedges and takes a moment over each answer.",
        openings=("Hi. I was thinking about maybe a {product}?", "Hi... I think I'd like a {product}."),
        yes=("Yes, I think so.", "Yeah, that sounds right.", "Yes... yes, go ahead."),
        corrections=("Oh, sorry, no, I meant {value}.", "Wait, sorry, {value}."),
        give_ups=("Never mind, I'll think about it. Bye.",),
    ),
    "casual": MannerWords(
        "A relaxed caller who talks casually about money.",
        openings=("Hey, I'm after a {product}.", "Hiya, looking to get a {product} sorted."),
        yes=("Yep, go for it.", "Yeah, sounds good."),
        corrections=("Nah, scratch that, {value}.", "Actually, make that {value}."),
        give_ups=("Forget it then, cheers. Bye.",),
    ),
    "terse": MannerWords(
        "A terse caller who answers with as few words as possible, often just a number.",
        openings=("{product} quote.",),
        yes=("Yes.", "Yep."),
        corrections=("No. {value}.",),
        give_ups=("Forget it. Bye.",),
        bare=True,
    ),
    "chatty": MannerWords(
        "A chatty caller who gives every detail up front in one long sentence.",
        openings=("Hi there! I'm hoping to get a {product},", "Good morning! So I'd love a {product},"),
        yes=("Yes, absolutely, go ahead!", "Perfect, yes please!"),
        corrections=("Oh, silly me, it's actually {value}.",),
        give_ups=("Oh well, never mind then, thanks anyway. Goodbye.",),
        volunteer=3,
    ),
}


def manner_of(style: Style) -> MannerWords:
    """The words of the style's manner."""
    return MANNERS[style.manner]

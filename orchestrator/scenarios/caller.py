"""The offline simulated caller: a deterministic, seeded rules agent that plays a goal.

It listens to each reply (its words, the dialog state, the slots the bot
holds and the slot it asked for) and says the next line: an answer to the
question in the persona's words (its ``style``, through the same
``say_in_style`` the robustness lab uses, and its ``manner``), a correction when the bot holds a wrong
value, "yes" to a right confirmation, a plainer rephrasing when it was not
understood, a fallback value or a goodbye when a value is refused. It never
reads the bot's code, only what a caller could hear plus the asked slot.

``detect_asked`` reads which slot a reply asks for from its last question, so
an LLM bot's own wording works too.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from orchestrator.personas.manners import manner_of
from orchestrator.personas.model import Persona, goal_persona
from orchestrator.personas.styles import say_in_style
from orchestrator.scenarios.model import Goal

__all__ = [
    "DIALOG_SLOT",
    "GOAL_SLOTS",
    "Caller",
    "CallerLine",
    "Observation",
    "RulesCaller",
    "detect_asked",
    "held_values",
    "plain_value",
]

GOAL_SLOTS = ("principal", "term_months", "rate")  # the rules dialog's asking order
DIALOG_SLOT = {"principal": "principal", "rate": "rate_percent", "term_months": "term_months"}
_GOAL_SLOT = {v: k for k, v in DIALOG_SLOT.items()}

_QUESTIONS = (
    ("term_months", re.compile(r"\b(?:how many months|months or|how long|what term|the term|repay it)\b", re.I)),
    ("rate", re.compile(r"\b(?:interest rate|what rate|which rate|annual rate|the rate)\b", re.I)),
    ("principal", re.compile(r"\b(?:how much|amount|borrow)\b", re.I)),
)
_REFUSED = re.compile(r"\b(?:I can quote loans from|must be between|I can't quote that|must be a whole number)\b", re.I)
_AMBIGUOUS = re.compile(r"\b(?:more than one|which one should I use|I'm not sure what)\b", re.I)
_UNIT_QUESTION = re.compile(r"\bmonths or \S+ years\b", re.I)
_NOT_UNDERSTOOD = re.compile(r"\b(?:didn't catch|didn't understand|say that again|having trouble)\b", re.I)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the caller knows after a reply."""

    reply: str
    state: str
    slots: dict[str, Any] = field(default_factory=dict)  # the dialog's slot names
    figures: dict[str, str] = field(default_factory=dict)
    asked: str | None = None  # the dialog's name of the slot it asked for, if its memory says


@dataclass(frozen=True, slots=True)
class CallerLine:
    """The caller's next words; ``gives_up`` ends the call after the bot's answer."""

    text: str
    why: str
    gives_up: bool = False


class Caller(Protocol):
    """A simulated caller."""

    def opening(self) -> CallerLine:
        """The first words of the call."""
        ...

    def next(self, seen: Observation) -> CallerLine:
        """The answer to the bot's last reply."""
        ...


def detect_asked(reply: str) -> str | None:
    """The goal slot the reply's last question asks for, or None."""
    questions = [q for q in re.split(r"(?<=[.?!])\s+", reply) if q.rstrip().endswith("?")]
    for question in reversed(questions):
        for slot, pattern in _QUESTIONS:
            if pattern.search(question):
                return slot
    return None


def held_values(slots: dict[str, Any]) -> dict[str, Decimal]:
    """The values the bot holds, by goal slot name."""
    held: dict[str, Decimal] = {}
    for name, value in slots.items():
        if name in _GOAL_SLOT:
            try:
                held[_GOAL_SLOT[name]] = Decimal(str(value))
            except InvalidOperation:
                continue
    return held


def plain_value(slot: str, value: Decimal) -> str:
    """A value as any caller says it when the fancy way failed: digits and the unit."""
    if slot == "principal":
        return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"
    if slot == "rate":
        return f"{format(value.normalize(), 'f')} percent"
    return f"{int(value)} month{'' if value == 1 else 's'}"


class RulesCaller:
    """A goal played by rules in its persona's style, every choice drawn from ``random.Random(seed)``."""

    def __init__(self, goal: Goal, seed: int, persona: Persona | None = None) -> None:
        self.goal = goal
        self.persona: Persona = persona or goal_persona(goal.persona)
        self.style = self.persona.style
        self.manner = manner_of(self.style)
        self.rng = random.Random(
            f"{seed}:{self.persona.name}:{self.persona.seed}:{goal.principal}:{goal.rate}:{goal.term_months}"
        )
        self.wanted = goal.wanted()
        self._slips: dict[str, Decimal] = {str(slot): value for slot, value in goal.slips.items()}
        self._plain: set[str] = set()  # slots already said plainly after a refusal
        self._given: set[str] = set()
        self._last_replies: list[str] = []

    # -- lines --------------------------------------------------------------

    def _line(self, text: str, why: str, *, plain: bool = False, corrections: bool = True,
              gives_up: bool = False) -> CallerLine:
        """``text`` (written plainly) as the persona says it, unless ``plain``."""
        if not plain:
            style = self.style if corrections else self.style.model_copy(update={"corrections": False})
            text = say_in_style(text, style, self.rng.randrange(2**31))
        return CallerLine(text[0].upper() + text[1:], why, gives_up=gives_up)

    def _value(self, slot: str) -> str:
        slipping = slot in self._slips and slot not in self._given  # a slip is said once, then corrected
        value = self._slips[slot] if slipping else self.wanted[slot]
        self._given.add(slot)
        return plain_value(slot, value)

    def _phrase(self, slot: str, value: str, asked: str | None) -> str:
        if asked == slot:
            return value
        lead = {"principal": "I'd like to borrow", "term_months": "over", "rate": "at"}[slot]
        return f"{lead} {value}"

    def _answer(self, slot: str, asked: str | None, *, plain: bool = False, why: str = "") -> CallerLine:
        if self.manner.bare and not plain and asked == slot and slot != "principal":
            value = self.wanted[slot] if slot not in self._slips or slot in self._given else self._slips[slot]
            self._given.add(slot)
            text = format(value.normalize(), "f")  # "4.9", "36": no unit, as terse callers answer
        else:
            text = self._phrase(slot, self._value(slot), asked)
        return self._line(text.rstrip(".") + ".", why or f"answer {slot}", plain=plain)

    def opening(self) -> CallerLine:
        """The request, with the values the manner (or the goal's ``order``) volunteers."""
        product = "mortgage" if self.goal.intent == "mortgage" else "loan"
        text = self.rng.choice(self.manner.openings).format(product=product)
        lead = list(self.goal.order[:1]) if self.goal.order else list(GOAL_SLOTS[: self.manner.volunteer])
        if lead:
            parts = [self._phrase(s, self._value(s), None).replace("I'd like to borrow", "of") for s in lead]
            text = text.rstrip(".?!,") + " " + " ".join(parts) + "."
        return self._line(text, "opening")

    def _give_up(self, why: str) -> CallerLine:
        return self._line(self.rng.choice(self.manner.give_ups), why, gives_up=True)

    # -- the decision -------------------------------------------------------

    def next(self, seen: Observation) -> CallerLine:
        """The next line, given what the bot just said and holds."""
        self._last_replies = [*self._last_replies[-2:], seen.reply]
        if len(self._last_replies) == 3 and len(set(self._last_replies)) == 1:
            return self._give_up("the bot said the same thing three times")
        asked = detect_asked(seen.reply) or _GOAL_SLOT.get(seen.asked or "")
        held = held_values(seen.slots)
        if _REFUSED.search(seen.reply) and asked is not None:
            return self._refused(asked)
        if _UNIT_QUESTION.search(seen.reply):
            return self._answer("term_months", "term_months", plain=True, why="say the unit")
        if _AMBIGUOUS.search(seen.reply) and asked is not None:
            return self._answer(asked, asked, plain=True, why=f"clarify {asked}")
        wrong = [s for s in GOAL_SLOTS if s in held and held[s] != self.wanted[s]]
        if wrong:
            return self._correct(wrong[0])
        if seen.state == "confirming" and all(held.get(s) == self.wanted[s] for s in GOAL_SLOTS):
            return self._line(self.rng.choice(self.manner.yes), "confirm")
        if _NOT_UNDERSTOOD.search(seen.reply) and asked is not None:
            return self._answer(asked, asked, plain=True, why=f"rephrase {asked}")
        slot = self._next_slot(asked, held)
        if slot is not None:
            return self._answer(slot, asked)
        product = "mortgage" if self.goal.intent == "mortgage" else "loan"
        return self._line(f"I'd like a {product} quote, please.", "restate the request")

    def _next_slot(self, asked: str | None, held: dict[str, Decimal]) -> str | None:
        missing = [s for s in (self.goal.order or GOAL_SLOTS) if s not in held]
        if self.goal.order:  # a caller with its own order gives its next value, whatever was asked
            return missing[0] if missing else asked
        return asked if asked is not None else (missing[0] if missing else None)

    def _correct(self, slot: str) -> CallerLine:
        self._given.add(slot)
        text = self.rng.choice(self.manner.corrections).format(value=plain_value(slot, self.wanted[slot]))
        # A correction is itself the right figure: no second, same-breath one inside it.
        return self._line(text, f"correct {slot}", corrections=False)

    def _refused(self, slot: str) -> CallerLine:
        if slot not in self._plain:
            # Perhaps it was how the value was said: say it again plainly, once.
            self._plain.add(slot)
            return self._answer(slot, slot, plain=True, why=f"say {slot} plainly")
        fallback = self.goal.fallback_for(slot)
        if fallback is not None and self.wanted[slot] != fallback:
            self.wanted[slot] = fallback
            return self._answer(slot, slot, plain=True, why=f"settle for {slot} {fallback}")
        return self._give_up(f"the bot refused {slot} {self.wanted[slot]}")

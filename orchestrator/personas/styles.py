"""Speaking styles: rewrite a scenario's script the way a persona would say it.

The meaning never changes (the scenario's expectations still hold); only the
words do: "25,000 dollars" becomes "25 grand", "25 K" or "two five thousand";
a correction puts a wrong figure first ("20 grand, no, sorry, 25 grand");
fillers put "um" and "uh" at clause starts. The same persona seed and script
always give the same words.
"""

from __future__ import annotations

import random
import re
import zlib
from decimal import Decimal

from orchestrator.personas.model import Style

__all__ = ["FILLERS", "say_in_style", "speak_amount"]

FILLERS = ("um", "uh")
_DIGIT_WORDS = ("oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_CUES = ("no, sorry,", "I mean", "no, wait,", "actually, make that")
# "$25,000", "25,000 dollars", "25000 dollars"
_AMOUNT_RE = re.compile(
    r"\$\s?(?P<a>\d{1,3}(?:,\d{3})+|\d+)(?!\d|[.,]\d)|(?<![\w.$])(?P<b>\d{1,3}(?:,\d{3})+|\d+)(?!\d|[.,]\d)\s*dollars?\b",
    re.IGNORECASE,
)
_TERM_RE = re.compile(r"(?<![\w.])(\d+)(\s+(?:years?|months?))\b", re.IGNORECASE)
_RATE_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*(?:%|percent\b))", re.IGNORECASE)
_CLAUSE_RE = re.compile(r"(?<=[,.;?!])\s+")


def speak_amount(value: int, style: str) -> str:
    """A whole-dollar amount as the style says it; amounts that are not whole thousands stay in dollars."""
    thousands, rest = divmod(value, 1000)
    if style == "words" or rest or not thousands:
        return f"{value:,} dollars"
    if style == "grand":
        return f"{thousands:,} grand"
    if style == "k":
        return f"{thousands} K"
    return " ".join(_DIGIT_WORDS[int(d)] for d in str(thousands)) + " thousand"  # digits: "three oh thousand"


def _wrong_amount(value: int) -> int:
    step = 5000 if value >= 10_000 else 1000 if value > 1000 else 100
    return value - step


def _restyle_amounts(text: str, style: Style, rng: random.Random) -> tuple[str, bool]:
    corrected = False

    def replace(match: re.Match[str]) -> str:
        nonlocal corrected
        value = int((match.group("a") or match.group("b")).replace(",", ""))
        said = speak_amount(value, style.numbers)
        if style.corrections and not corrected and value >= 1000:
            corrected = True
            return f"{speak_amount(_wrong_amount(value), style.numbers)}, {rng.choice(_CUES)} {said}"
        return said

    return _AMOUNT_RE.sub(replace, text), corrected


def _correct_first(text: str, rng: random.Random) -> str:
    """No amount to correct: correct the term ("over 4 years, no, sorry, 5 years") or else the rate."""
    if m := _TERM_RE.search(text):
        n = int(m.group(1))
        wrong = n - 1 if n > 1 else n + 1
        return f"{text[: m.start()]}{wrong}{m.group(2)}, {rng.choice(_CUES)} {m.group(0)}{text[m.end():]}"
    if m := _RATE_RE.search(text):
        wrong_rate = Decimal(m.group(1)) + 1
        return f"{text[: m.start()]}{wrong_rate}{m.group(2)}, {rng.choice(_CUES)} {m.group(0)}{text[m.end():]}"
    return text


def _add_fillers(text: str, chance: float, rng: random.Random) -> str:
    clauses = _CLAUSE_RE.split(text)
    out = []
    for clause in clauses:
        if clause and rng.random() < chance:
            filler = rng.choice(FILLERS)
            keep = re.match(r"I\b", clause) is not None  # "I'd" stays capital
            rest = clause if keep else clause[0].lower() + clause[1:]
            clause = f"{filler.capitalize()}, {rest}" if clause[:1].isupper() else f"{filler}, {clause}"
        out.append(clause)
    return " ".join(out)


def say_in_style(text: str, style: Style, seed: int = 0) -> str:
    """``text`` as a caller with ``style`` says it (deterministic for a seed and a text)."""
    rng = random.Random(seed * 1_000_003 + zlib.crc32(text.encode("utf-8")))
    said, corrected = _restyle_amounts(text, style, rng)
    if style.corrections and not corrected:
        said = _correct_first(said, rng)
    if style.fillers:
        said = _add_fillers(said, style.fillers, rng)
    return said

"""Turn-taking judgements on what the caller has said so far (a speculative transcript).

``turn_completion`` says whether a pause looks like the end of the caller's turn
or like a breath in the middle of it: a trailing "and", "um" or "over", a number
still being said ("borrow 25", "six point"), a sentence trailing off ("..."). Mid-
thought, the endpointer waits the longer ``VOICEBOT_ENDPOINT_HOLD_MS``.

``is_backchannel`` says whether something said over the bot's reply is a
listener's "uh-huh" / "okay" (the reply carries on) rather than a barge-in.

Whisper writes a full stop after almost anything, so punctuation is no evidence
of completion; the cues are the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Completion", "is_backchannel", "turn_completion"]

_FILLERS = {"um", "uh", "uhm", "umm", "er", "erm", "hmm", "mm", "ah", "eh"}
# Words a finished sentence does not end on: conjunctions, prepositions that need an object,
# articles and possessives, subject pronouns, and the verbs a banking request hangs on.
# Left out on purpose: "in"/"on"/"up" (log in, go on), auxiliaries ("yes I do", "I can"),
# object pronouns and demonstratives ("help me", "I want that").
_CONNECTIVES = {
    "and", "or", "but", "so", "because", "if", "plus", "whereas", "although", "though", "than",
    "of", "to", "at", "over", "for", "with", "without", "from", "about", "into", "per", "by", "around",
    "the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "some", "any", "another",
    "i", "we", "i'd", "i'm", "we'd", "we're", "i'll", "we'll",
    "borrow", "want", "need", "like", "pay", "apply", "transfer", "take", "get",
}
_NUMBER_WORDS_THAT_CONTINUE = {
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand", "million", "billion", "point", "and",
}
_TRAILING_OFF = ("...", "\u2026", "-", "\u2014", "\u2013")  # dots, ellipsis, hyphen, em and en dash
_BARE_NUMBER = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
_TOKEN = re.compile(r"[$£€]?\d[\d,]*(?:\.\d+)?%?|[a-z]+(?:'[a-z]+)?")

# A listener's noises and short acknowledgements. "yes" and "no" are left out: said over a
# question, they answer it.
_BACKCHANNEL_PHRASES = {
    "uh huh", "uh-huh", "mm hmm", "mm-hmm", "mhm", "okay", "ok", "right", "yeah", "yep", "sure",
    "i see", "got it", "alright", "all right", "go on", "aha", "oh", "ah", "mm", "hmm", "uh",
    "oh okay", "okay okay", "yeah yeah", "right right", "uh huh uh huh",
}
_INTERJECTION = re.compile(r"^(?:m+|h?m+h?m*|u+h+|a+h+|o+h+|e+h+|ha|huh|aha|mhm|ma|um+)$")


@dataclass(frozen=True, slots=True)
class Completion:
    """The verdict on a pause: ``complete``, or mid-thought with the cue that says so."""

    complete: bool
    cue: str  # "complete", or e.g. "filler:um", "trailing:and", "number", "trailing_off"

    @property
    def verdict(self) -> str:
        """``complete`` or ``incomplete:<cue>`` (the endpoint event's wording)."""
        return "complete" if self.complete else f"incomplete:{self.cue}"


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))  # a typographic apostrophe


def turn_completion(text: str) -> Completion:
    """Does ``text`` (what was heard up to a pause) sound like a finished turn?"""
    stripped = text.strip()
    if stripped.endswith(_TRAILING_OFF):
        return Completion(False, "trailing_off")
    tokens = _tokens(stripped)
    if not tokens:
        return Completion(True, "complete")
    last = tokens[-1]
    if last in _FILLERS:
        return Completion(False, f"filler:{last}")
    if last in _CONNECTIVES:
        return Completion(False, f"trailing:{last}")
    if last in _NUMBER_WORDS_THAT_CONTINUE:
        return Completion(False, "number")
    # "borrow 25" or "over 5": a bare figure with no unit after it may still be growing
    # ("25" -> "25,000 dollars"); a lone figure answers a question ("36").
    if len(tokens) > 1 and _BARE_NUMBER.match(last):
        return Completion(False, "number")
    return Completion(True, "complete")


def is_backchannel(text: str) -> bool:
    """True for a listener's "uh-huh", "okay", "mm" (or nothing at all), said over the reply."""
    words = " ".join(_tokens(text.replace("-", " ")))
    if not words or words in _BACKCHANNEL_PHRASES:
        return True
    parts = words.split()
    return len(parts) <= 3 and all(p in _BACKCHANNEL_PHRASES or _INTERJECTION.match(p) for p in parts)

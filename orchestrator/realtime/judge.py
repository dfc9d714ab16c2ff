"""Turn-taking judgements on what the caller has said so far (a speculative transcript).

``turn_completion`` says whether a pause looks like the end of the caller's turn
or like a breath in the middle of it: a trailing "and", "um" or "over", a number
still being said ("borrow 25", "six point"), a sentence trailing off ("..."). Mid-
thought, the endpointer waits the longer ``VOICEBOT_ENDPOINT_HOLD_MS``.

``is_backchannel`` says whether something said over the bot's reply is a
listener's "uh-huh" / "okay" (the reply carries on) rather than a barge-in;
``sounds_like_backchannel`` also lets a short burst through that the recogniser
could not make words of with confidence (Whisper guesses a word for a hum), unless
it is one of the few words a caller cuts in with ("stop", "wait", "goodbye") and
Whisper is sure it heard speech.

Whisper writes a full stop after almost anything, so punctuation is no evidence
of completion; the cues are the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.stt.base import Transcription

__all__ = ["Completion", "is_backchannel", "sounds_like_backchannel", "takes_the_turn", "turn_completion"]

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

# A listener's short acknowledgements. "yes" and "no" are left out: said over a question, they answer it.
_ACKNOWLEDGEMENTS = {
    "okay", "ok", "k", "kay", "mkay", "okey", "okie", "right", "alright", "yeah", "yea", "yep", "yup", "ya",
    "sure", "gotcha", "cool", "great", "aha", "oh", "ah",
}
_ACKNOWLEDGING_PAIRS = {("i", "see"), ("got", "it"), ("all", "right"), ("go", "on"), ("go", "ahead")}
# Hums and vowel noises as Whisper spells them: "mm", "hmm", "mhm", "mmhmm", "uh", "ahh", "oh", "huh", "um".
_NOISE = re.compile(
    r"^(?:h*m+(?:h+m+)*h*|u+h+(?:u+h+)*|a+h+|o+h+|e+h+|h+u+h+|(?:h+a+)+h?|a+h+a+|o+o+h*|u+m+|e+r+m*)$"
)
# Hums as letters: "MHN", "NMM" (every letter an m, n or h, and at least one m; "M.H.N." is joined first).
_HUM_LETTERS = re.compile(r"^(?=[hn]*m)[mnh]{2,}$")
# What a caller says to take the turn in a word or two: stop the reply, ask what, answer, or leave.
_TURN_WORDS = {
    "stop", "wait", "hold", "hang", "on", "no", "nope", "yes", "hello", "what", "sorry", "pardon",
    "bye", "goodbye", "good", "excuse", "me", "help", "agent", "operator", "repeat", "that",
}
# Whisper's own estimate that a burst held no speech. Measured on 25 Piper renderings each (2 cores,
# 2026-12-02): its guesses at a hummed "uh-huh"/"mm-hmm"/"hmm" that came out as such words ("Bye.",
# "No,", "Ten.") scored 0.11-0.67 with Whisper base; the same words said scored 0.01-0.11 with base
# and tiny, "Hello." and "Goodbye." at most 0.05, even where their confidence fell to 0.29.
_SPEECH_MAX_NO_SPEECH = 0.1
# "uh-uh", "mm-mm", "nuh-uh": a hum that means no (a hyphenated pair with no "h" in its second half).
_NEGATION = re.compile(r"\b(?:uh-uh|mm-mm|m-m|nuh-uh|huh-uh)\b")
_LETTER_RUN = re.compile(r"\b[a-z](?:[\s.,-]+[a-z])+\b")  # Whisper spelling a hum letter by letter: "M H M"


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
    """True for a listener's "uh-huh", "mm-hmm", "okay", "I see" (or nothing at all), said over the reply.

    Whisper writes the same hum many ways ("Uh huh", "uh-huh?", "Mm-hm.", "Mhm", "MMM.",
    "M H M"), and repeats it ("Uh-huh, uh-huh."): every word must be a listener's.
    """
    lowered = text.lower().replace("\u2019", "'")
    if _NEGATION.search(lowered):
        return False
    # "M H M" and "O.K." are one word spelt out.
    joined = _LETTER_RUN.sub(lambda m: re.sub(r"[\s.,-]+", "", m.group(0)), lowered)
    words = _tokens(joined.replace("-", " "))
    i = 0
    while i < len(words):
        if tuple(words[i:i + 2]) in _ACKNOWLEDGING_PAIRS:
            i += 2
        elif words[i] in _ACKNOWLEDGEMENTS or _NOISE.match(words[i]) or _HUM_LETTERS.match(words[i]):
            i += 1
        else:
            return False
    return True


def takes_the_turn(text: str) -> bool:
    """Is ``text`` one of the short things a caller cuts in with ("Stop.", "Wait, what?", "Goodbye.")?"""
    words = _tokens(text.replace("-", " "))
    return 0 < len(words) <= 3 and all(w in _TURN_WORDS for w in words)


def sounds_like_backchannel(heard: Transcription, min_confidence: float) -> bool:
    """Is a short burst over the reply a listener's noise rather than the caller taking the turn?

    Either its words are a backchannel, or the recogniser could not make words of it with
    ``min_confidence``: on a hum, Whisper guesses a word ("Bye.", "I'll.", "In a month.") with
    far less confidence than it hears most real words. Whisper tiny is unsure of short words
    ("Hello." and "Goodbye." often under 0.6), so a word a caller cuts in with still takes the
    turn at a third of ``min_confidence`` when Whisper is sure the burst held speech.
    """
    if is_backchannel(heard.text):
        return True
    if heard.confidence >= min_confidence:
        return False
    said = (takes_the_turn(heard.text) and heard.no_speech < _SPEECH_MAX_NO_SPEECH
            and heard.confidence >= min_confidence / 3)
    return not said

"""Number words as callers read out digits: "four one one one", "forty one eleven", "double five".

``word_groups`` turns a run of number words into digit groups, one group per
chunk a person would say in one breath: "forty one" is ``41``, "four
thousand one hundred eleven" is ``4111``, "nineteen oh five" is ``19``,
``0``, ``5``, "triple one" is ``111``. Each group keeps the index of its
first and last word so the caller can map it back to the text.
"""

from __future__ import annotations

__all__ = ["DIGIT_WORDS", "MULTI_DIGIT_WORDS", "NUMBER_WORDS", "WordGroup", "whole_words", "word_groups"]

_UNITS = {
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0, "nil": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_REPEATS = {"double": 2, "triple": 3}
# Words that stand for zero only when they sit among other digits ("oh" alone is an interjection).
_ZERO_ONLY = frozenset({"zero", "oh", "o", "nought", "naught", "nil"})

DIGIT_WORDS = frozenset(_UNITS)
MULTI_DIGIT_WORDS = frozenset({*_TEENS, *_TENS, "hundred", "thousand", *_REPEATS})
NUMBER_WORDS = frozenset({*DIGIT_WORDS, *MULTI_DIGIT_WORDS})

WordGroup = tuple[str, int, int]  # (digits, index of the first word, index of the last word)


def whole_words(words: frozenset[str] | set[str]) -> str:
    """A regex fragment matching any of ``words`` (lower case) as a whole word, in lower-cased text.

    The word-start check sits after each first letter, not before the
    alternation, so the regex engine can still skip ahead by first letter.
    """
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(f"{w[0]}(?<![a-z]{w[0]}){w[1:]}" for w in ordered) + ")(?![a-z])"


def _small(words: list[str], i: int) -> tuple[int, int] | None:
    """A number below 100 starting at ``words[i]`` ("forty one", "eleven", "seven"): (value, words used)."""
    word = words[i]
    if word in _TENS:
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in _UNITS and nxt not in _ZERO_ONLY:
            return _TENS[word] + _UNITS[nxt], 2
        return _TENS[word], 1
    if word in _TEENS:
        return _TEENS[word], 1
    if word in _UNITS and word not in _ZERO_ONLY:
        return _UNITS[word], 1
    return None


def _chunk(words: list[str], i: int) -> tuple[str, int] | None:
    """One spoken chunk starting at ``words[i]``: its digits and how many words it used."""
    word = words[i]
    if word in _ZERO_ONLY:
        return "0", 1
    if word in _REPEATS:
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in _UNITS:
            return str(_UNITS[nxt]) * _REPEATS[word], 2
        return None
    if word == "hundred":  # "a hundred", or "hundred" said alone for "00"
        return "100", 1
    if word == "thousand":
        return "1000", 1
    small = _small(words, i)
    if small is None:
        return None
    value, used = small
    j = i + used
    if j < len(words) and words[j] == "thousand":
        value, j = value * 1000, j + 1
        if j < len(words) and _UNITS.get(words[j], 0) and j + 1 < len(words) and words[j + 1] == "hundred":
            value, j = value + _UNITS[words[j]] * 100, j + 2
        rest = _rest(words, j)
        if rest is not None:
            value, j = value + rest[0], j + rest[1]
        return str(value), j - i
    if j < len(words) and words[j] == "hundred":
        value, j = value * 100, j + 1
        rest = _rest(words, j)
        if rest is not None:
            value, j = value + rest[0], j + rest[1]
        return str(value), j - i
    return str(value), used


def _rest(words: list[str], j: int) -> tuple[int, int] | None:
    """What follows "hundred" or "thousand" in the same chunk ("and five", "eleven")."""
    skip = 1 if j < len(words) and words[j] == "and" else 0
    if j + skip < len(words):
        small = _small(words, j + skip)
        if small is not None:
            return small[0], small[1] + skip
    return None


def word_groups(words: list[str]) -> list[WordGroup]:
    """Digit groups for ``words`` (lower-case number words, "and", fillers); other words are skipped."""
    groups: list[WordGroup] = []
    i = 0
    while i < len(words):
        chunk = _chunk(words, i)
        if chunk is None:
            i += 1
            continue
        digits, used = chunk
        groups.append((digits, i, i + used - 1))
        i += used
    return groups

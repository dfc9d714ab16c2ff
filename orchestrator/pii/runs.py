"""Digit runs: what a caller said, or Whisper wrote, as one sequence of digits.

A run is digits and number words joined by separators: spaces, commas and
periods (Whisper writes a pause as either), dashes, slashes, brackets, a
plus sign, invisible spaces, fillers ("uh", "um") and "and". Each run is
split into groups (what was written or said in one piece), and a mask
covers exactly the run.

``find_runs`` is linear: one regular expression with possessive
quantifiers finds the regions, and only regions that could hold a number
worth masking (three digits or more) are parsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orchestrator.pii.words import DIGIT_WORDS, MULTI_DIGIT_WORDS, NUMBER_WORDS, whole_words, word_groups

__all__ = ["MAX_RUN_CHARS", "Run", "find_runs"]

# A region longer than this is never parsed: nobody reads out that much, so it is masked whole.
MAX_RUN_CHARS = 600

_FILLERS = frozenset({"uh", "um", "umm", "er", "erm", "ah", "and"})
_SEP = r"[\s,./\\()+\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]"
# Whisper writes "double five" as "W5" (double-u): a "w" glued to a digit is a "double".
_W = r"(?:w(?<![a-z]w)-?(?=\d))?"  # also "W-5"
# Whisper glues a letter to a group it half heard ("4850A 0283 ...": "eight" as "A"): one letter after
# the digits of a group (two or more when it opens the run), then no letter or digit, stays inside
# the run; it adds no digit.
_GLUED = r"(?:[a-z](?![a-z\d]))?+"
_D1 = rf"(?:{_W}\d(?!\d)|{whole_words(DIGIT_WORDS)})"
_DM = rf"(?:{_W}\d{{2,}}+{_GLUED}|{whole_words(MULTI_DIGIT_WORDS)})"
_ITEM = rf"(?:{_W}\d++{_GLUED}|{whole_words(NUMBER_WORDS)})"
_JOIN = rf"{_SEP}{{1,4}}+(?:{whole_words(_FILLERS)}{_SEP}{{1,4}}+)?+"
_FIRST = "".join(sorted({w[0] for w in NUMBER_WORDS} | {"w"}))
# Three digits or more: "123", "12 3", "1 23", "1 2 3" (words count like digits). Runs on lower-cased
# text; the look-ahead lets the engine skip to the next digit or number-word letter.
_REGION_RE = re.compile(
    rf"(?=[\d{_FIRST}])(?:\d{{3,}}+{_GLUED}|{_DM}{_JOIN}{_ITEM}|{_D1}{_JOIN}{_DM}|{_D1}{_JOIN}{_D1}{_JOIN}{_ITEM})"
    rf"(?:{_JOIN}{_ITEM})*+"
)
_LETTER_RE = re.compile(r"[^\W\d_]")
_DIGITS_RE = re.compile(r"\d+")
# The letters ``_written`` can read past: one glued to a group's end, or a "w" (double) before a digit.
_SIMPLE_LETTER_RE = re.compile(r"(?<=\d)[a-z](?![a-z\d])|(?<![a-z])w(?=-?\d)")
_W_GROUP_RE = re.compile(r"((?<!\d)w-?|(?<=\d)w(?=\d))?(\d+)")  # "4850w-5": that w is glued, not a double
_PIECE_RE = re.compile(r"(\d+)|([^\W\d_]+)|(\W+|_+)")
_PAUSE = frozenset(",.;")
_REPEAT_WORDS = {"double": 2, "triple": 3, "w": 2}


# While parsing: (digits, start, end, spoken) for each piece written or said in one go.
_Piece = tuple[str, int, int, bool]


@dataclass(slots=True)
class Run:
    """A region of the text that reads as one sequence of digits.

    ``groups`` are its digits as written or said, piece by piece ("4111",
    "1111", ...; "41", "11" for "forty one eleven"). ``groups`` is empty when
    the region was too long to parse (``oversized``); the run is masked whole.
    """

    start: int
    end: int
    groups: list[str]
    spoken: bool = False
    oversized: bool = False
    digits: str = ""

    def __post_init__(self) -> None:
        self.digits = "".join(self.groups)


def _ascii_digits(token: str) -> str:
    """Any script's decimal digits as ASCII ("٤١" -> "41")."""
    if token.isascii():
        return token
    return "".join(str(unicodedata.decimal(ch)) for ch in token)


def _parse(text: str, start: int, end: int) -> list[list[_Piece]]:
    """The region's pieces, cut where "and" joins two numbers rather than one ("4111 ... and 5555 ...")."""
    segments: list[list[_Piece]] = [[]]
    words: list[str] = []
    spans: list[tuple[int, int]] = []

    def flush() -> None:
        for digits, first, last in word_groups(words):
            segments[-1].append((digits, spans[first][0], spans[last][1], True))
        words.clear()
        spans.clear()

    glued_at = -1  # where the last group of written digits ended
    for piece in _PIECE_RE.finditer(text, start, end):
        digits, word, sep = piece.groups()
        after = piece.end()
        if word is not None and len(word) == 1 and piece.start() == glued_at and not text[after:after + 1].isdigit():
            continue  # a letter Whisper glued to a group ("4850A"): inside the run, no digit of it
        if digits is not None:
            digits, begin = _ascii_digits(digits), piece.start()
            if words and words[-1] in _REPEAT_WORDS and (words[-1] != "w" or text[spans[-1][1]:begin] in ("", "-")):
                # "double 5" and "W5": the first digit said twice (three times after "triple")
                digits = digits[0] * (_REPEAT_WORDS[words[-1]] - 1) + digits
                words.pop()
                begin = spans.pop()[0]
            flush()
            segments[-1].append((digits, begin, piece.end(), False))
            glued_at = piece.end()
        elif word is not None:
            if word == "and" and not (words and words[-1] in ("hundred", "thousand")):
                flush()
                segments.append([])
                continue
            words.append(word)
            spans.append(piece.span())
        elif sep is not None and _PAUSE.intersection(sep):
            flush()  # "forty one, eleven": a pause ends the chunk
    flush()
    return [segment for segment in segments if segment]


def _run(pieces: list[_Piece]) -> Run:
    return Run(pieces[0][1], pieces[-1][2], [p[0] for p in pieces], any(p[3] for p in pieces))


def find_runs(text: str, worth: Callable[[int, int], bool] | None = None) -> Iterator[Run]:
    """Every region of ``text`` (lower-cased) that reads as three or more digits, parsed into groups.

    ``worth(start, digit_count)`` may skip a region of written digits before it
    is parsed (parsing is most of the cost, and most runs are amounts and dates).
    """
    for match in _REGION_RE.finditer(text):
        start, end = match.span()
        if end - start > MAX_RUN_CHARS:
            yield Run(start, end, [], oversized=True)
            continue
        if _LETTER_RE.search(text, start, end) is None:
            groups = _DIGITS_RE.findall(text, start, end)
            if worth is not None and not worth(start, sum(map(len, groups))):
                continue
            # Digits and separators only: every digit group is a group. A decimal point stays inside
            # a run ("4198 34.44 17.47.6670" is a misheard card); a lone decimal is an amount (detect.py).
            yield Run(start, end, [_ascii_digits(d) for d in groups])
            continue
        written = _written(text, start, end)
        if written is not None:
            yield written
            continue
        for segment in _parse(text, start, end):
            yield _run(segment)


def _written(text: str, start: int, end: int) -> Run | None:
    """The run of a region whose only letters are glued ones and "w" doubles ("4850a 0283 w-5"), found
    without parsing it word by word (what ``_parse`` would make of it); None when it has other words."""
    region = text[start:end]  # a slice: what comes before the region is no part of it
    if len(_LETTER_RE.findall(region)) != len(_SIMPLE_LETTER_RE.findall(region)):
        return None
    groups = []
    for double, digits in _W_GROUP_RE.findall(region):
        digits = _ascii_digits(digits)
        groups.append(digits[0] + digits if double else digits)
    last = end - 1 if not text[end - 1].isdigit() else end  # a glued letter after the last group stays outside
    return Run(start, last, groups)


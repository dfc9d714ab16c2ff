"""The leak oracle's reading of text: tokens, and number words turned into digits.

Part of the oracle (:mod:`orchestrator.leakscan`): like it, this shares no code, table or pattern
with :mod:`orchestrator.pii` and imports nothing from it.
"""

from __future__ import annotations

__all__ = ["SKIP_WORDS", "WORD_DIGIT", "is_number_word", "spell", "tokens"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
WORD_DIGIT = {w: i for i, w in enumerate(_ONES)} | {"oh": 0, "o": 0, "nought": 0, "naught": 0, "nil": 0}
_TEEN_WORDS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
               "nineteen"]
_TEEN = {w: 10 + i for i, w in enumerate(_TEEN_WORDS)}
_TEN = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                                                "ninety"])} | {"fourty": 40}
_TIMES = {"double": 2, "triple": 3}
SKIP_WORDS = {"uh", "um", "umm", "er", "erm", "ah", "hmm", "and"}
_HEX = frozenset("0123456789abcdef")
_SOFT = set(" \t\r\n\f\v,.-/()+\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2010\u2011\u2012\u2013\u2014\u2015"
            "\u2212\u200b\u200c\u200d\u2060\ufeff")


def _hex_end(text: str, i: int) -> int:
    """The end of a lower-case hex token of 16+ characters with letters and digits at ``i``, else ``i``."""
    if i and text[i - 1].isalnum():
        return i
    j = i
    while j < len(text) and text[j] in _HEX:
        j += 1
    token = text[i:j]
    if j - i < 16 or (j < len(text) and text[j].isalnum()) or token.isdigit() or token.isalpha():
        return i
    return j


def tokens(text: str) -> list[tuple[str, int, int]]:
    """("w", word) / ("d", one digit) / ("s", soft character) / ("x", anything else) with spans."""
    out: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _HEX and (j := _hex_end(text, i)) > i:
            out.append(("x", i, j))  # a hash or an id: machine data, not a number anyone said
            i = j
        elif ch.isdecimal():
            out.append(("d", i, i + 1))
            i += 1
        elif ch.isalpha():
            j = i
            while j < n and text[j].isalpha():
                j += 1
            out.append(("w", i, j))
            i = j
        else:
            out.append(("s" if ch in _SOFT else "x", i, i + 1))
            i += 1
    return out


def spell(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Number words to digit strings, with an accumulator: "four thousand one hundred eleven" -> "4111"."""
    out: list[tuple[str, int, int]] = []
    value, start, end, last = -1, 0, 0, ""

    def emit() -> None:
        nonlocal value, last
        if value >= 0:
            out.append((str(value), start, end))
        value, last = -1, ""

    k = 0
    while k < len(words):
        word, s, e = words[k]
        following = words[k + 1][0] if k + 1 < len(words) else ""
        if word in _TIMES and following in WORD_DIGIT:
            emit()
            out.append((str(WORD_DIGIT[following]) * _TIMES[word], s, words[k + 1][2]))
            k += 2
            continue
        number = WORD_DIGIT.get(word, _TEEN.get(word, _TEN.get(word, -1)))
        if number == 0:
            emit()
            out.append(("0", s, e))
        elif number > 0:
            if last == "thousand" and value % 1000 == 0 and number < 10 and following == "hundred":
                value, end, last = value + number * 100, words[k + 1][2], "hundred"
                k += 2
                continue
            if (last == "ten" and number < 10) or (last in ("hundred", "thousand") and value % 100 == 0):
                value, end = value + number, e
            else:
                emit()
                value, start, end = number, s, e
            last = "ten" if word in _TEN else "unit"
        elif word in ("hundred", "thousand"):
            scale = 100 if word == "hundred" else 1000
            if 0 <= value < scale:
                value, end = value * scale, e
            else:
                emit()
                value, start, end = scale, s, e
            last = word
        k += 1
    emit()
    return out


def is_number_word(word: str) -> bool:
    """True when the lower-case ``word`` says a digit or a number ("oh", "eleven", "forty", "double", "hundred")."""
    return word in WORD_DIGIT or word in _TEEN or word in _TEN or word in _TIMES or word in ("hundred", "thousand")

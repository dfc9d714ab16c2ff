"""Text normalisation for speech: write figures the way a person says them.

"$25,000" -> "twenty five thousand dollars", "6.5%" -> "six point five
percent", "$489.15" -> "four hundred eighty nine dollars and fifteen cents".
Tens and ones are two words for the voice: Piper says a hyphenated
"eighty-nine" so that Whisper hears "eight nine" (2 of 15 figures of a quote
heard right, against 15 of 15 without the hyphen).
"""

from __future__ import annotations

import re

__all__ = ["int_to_words", "speakable"]

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand")]


def _below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(f"{_ONES[n // 100]} hundred")
        n %= 100
    if n >= 20:
        parts.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n or not parts:
        parts.append(_ONES[n])
    return " ".join(parts)


def int_to_words(n: int) -> str:
    """American English words for a whole number: 489 -> "four hundred eighty-nine"."""
    if n < 0:
        return "minus " + int_to_words(-n)
    if n < 1000:
        return _below_thousand(n)
    parts = []
    for value, name in _SCALES:
        if n >= value:
            parts.append(f"{int_to_words(n // value)} {name}")
            n %= value
    if n:
        parts.append(_below_thousand(n))
    return " ".join(parts)


def _say(n: int) -> str:
    return int_to_words(n).replace("-", " ")


def _digits_words(digits: str) -> str:
    return " ".join(_ONES[int(d)] for d in digits)


def _money(match: re.Match[str]) -> str:
    dollars = int(match.group(1).replace(",", ""))
    cents = int(match.group(2).ljust(2, "0")) if match.group(2) else 0  # "$10.5" is 50 cents
    text = f"{_say(dollars)} dollar{'' if dollars == 1 else 's'}"
    if cents:
        text += f" and {_say(cents)} cent{'' if cents == 1 else 's'}"
    return text


def _number(whole: str, frac: str | None) -> str:
    text = _say(int(whole.replace(",", "")))
    if frac:
        text += " point " + _digits_words(frac)
    return text


def _percent(match: re.Match[str]) -> str:
    frac = (match.group(2) or "").rstrip("0") or None
    return f"{_number(match.group(1), frac)} percent"


_MONEY_RE = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d)")
_PERCENT_RE = re.compile(r"(\d+)(?:\.(\d+))?\s?%")
_NUMBER_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")


def speakable(text: str) -> str:
    """Rewrite money, percentages and numbers in ``text`` as words for TTS."""
    text = _MONEY_RE.sub(_money, text)
    text = _PERCENT_RE.sub(_percent, text)
    text = _NUMBER_RE.sub(lambda m: _number(m.group(1), m.group(2)), text)
    # Spelled with dots, Piper says the letters and Whisper hears "APR" back.
    return re.sub(r"\bAPR\b", "A.P.R.", text)

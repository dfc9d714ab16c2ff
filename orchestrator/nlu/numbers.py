"""Numbers as people say them and as Whisper writes them.

``digitize`` rewrites spoken numbers as digits ("twenty five thousand" ->
"25000", "six and a half" -> "6.5", "25k" and "thirty K" -> "25000", "30 grand"
-> "30000 dollars", "three oh thousand" -> "30000"); ``extract_loan_terms``
then reads an amount, an interest rate and a term from the result.
``find_loan_mentions`` also honours a correction in the same breath:
"20000 dollars, no, sorry, 25000 dollars" means 25000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["LoanMentions", "LoanTerms", "digitize", "extract_loan_terms", "find_loan_mentions", "parse_decimal"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

_NUMBER_WORD = "|".join(
    sorted([*_UNITS, *_TENS, *_SCALES, "hundred"], key=len, reverse=True)
)
_DIGITS = r"(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
_TOKEN = rf"(?:{_NUMBER_WORD}|{_DIGITS}|a|an|and|point|half|quarter)"
# A run of number-ish tokens separated by spaces or hyphens.
_RUN_RE = re.compile(rf"(?<![\w.]){_TOKEN}(?:[\s-]+{_TOKEN})*(?![\w])", re.IGNORECASE)
_K_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*k\b", re.IGNORECASE)
# "30 grand" is money slang for 30,000 dollars.
_GRAND_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s+grand\b", re.IGNORECASE)
# Figures read digit by digit before a scale: "three oh thousand", "two five thousand". Only before a
# scale word, so a card or phone number read out digit by digit stays digits apart (for redaction).
_DIGIT_NAMES = {"oh": "0", "zero": "0", **{w: str(v) for w, v in _UNITS.items() if v < 10}}
_DIGIT_ALT = "|".join(_DIGIT_NAMES)
_NONZERO_ALT = "|".join(w for w, d in _DIGIT_NAMES.items() if d != "0")
_DIGIT_SEQ_RE = re.compile(
    rf"(?<![\w-])((?:{_NONZERO_ALT})(?:[\s-]+(?:{_DIGIT_ALT}))+)[\s-]+(thousand|million)\b", re.IGNORECASE
)


def parse_decimal(text: str) -> Decimal | None:
    """``"25,000"`` -> ``Decimal("25000")``; None when it is not a number."""
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _format(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _parse_run(tokens: list[str]) -> list[str]:
    """Turn one run of tokens into output pieces: numbers as digit strings, other words kept."""
    out: list[str] = []
    total = current = Decimal(0)
    have = False
    last_kind = ""  # "unit", "teen", "ten", "digits", "hundred", "scale"
    decimals: list[str] | None = None  # digits after "point", while reading them
    implicit_zero = False  # "point five": the whole part was never said
    point_word = "point"  # as the caller wrote it, restored if no digit follows
    pending: list[str] = []  # "a", "an", "and": not yet known to belong to a number

    def flush() -> None:
        nonlocal total, current, have, decimals, last_kind, implicit_zero
        if have:
            value = total + current
            if decimals:
                value += Decimal("0." + "".join(decimals))
            if not (implicit_zero and not decimals):
                out.append(_format(value))
            if decimals == []:
                out.append(point_word)
        total = current = Decimal(0)
        have, decimals, last_kind, implicit_zero = False, None, "", False

    def emit_words(*words: str) -> None:
        flush()
        out.extend(pending)
        pending.clear()
        out.extend(words)

    for tok in tokens:
        low = tok.lower()
        if decimals is not None:
            if low in _UNITS and _UNITS[low] < 10:
                decimals.append(str(_UNITS[low]))
                continue
            if low.isdigit():  # "6 point 5"
                decimals.append(low)
                continue
            if low in _SCALES and decimals:  # "one point five million"
                total += (current + Decimal("0." + "".join(decimals))) * _SCALES[low]
                current, decimals, last_kind, implicit_zero = Decimal(0), None, "scale", False
                continue
            flush()  # the decimal number is complete
        if low in ("a", "an", "and"):
            pending.append(tok)
            continue
        if low == "quarter" and have and [p.lower() for p in pending] == ["and", "a"]:
            current += Decimal("0.25")  # "seven and a quarter"
            pending.clear()
            continue
        if low == "half" and have and [p.lower() for p in pending] in (["and", "a"], ["and", "an"]):
            current += Decimal("0.5")
            pending.clear()
            continue
        if low == "point" and (have or not pending):
            if not have:  # "point five percent" means 0.5
                flush()
                out.extend(pending)
                pending.clear()
                have, implicit_zero = True, True
            decimals, point_word = [], tok
            continue
        kind, value = _classify(low)
        if not kind:
            emit_words(tok)
            continue
        # "a"/"an" belong to a number only before "hundred" or a scale ("a hundred");
        # "and" only after one ("a hundred and fifty").
        if pending:
            continues = have and last_kind in ("hundred", "scale") and kind not in ("hundred", "scale")
            starts = [p.lower() for p in pending][-1] in ("a", "an") and kind in ("hundred", "scale")
            if continues:
                pending.clear()
            elif starts:
                flush()
                out.extend(pending[:-1])
                pending.clear()
            else:
                flush()
                out.extend(pending)
                pending.clear()
        if have and _starts_new_number(last_kind, kind):
            flush()
        if kind == "hundred":
            current = (current or Decimal(1)) * 100
        elif kind == "scale":
            total += (current or Decimal(1)) * value
            current = Decimal(0)
        else:
            current += value
        have = True
        last_kind = kind
    flush()
    out.extend(pending)
    return out


def _classify(low: str) -> tuple[str, Decimal]:
    if low in _UNITS:
        return ("unit" if _UNITS[low] < 10 else "teen"), Decimal(_UNITS[low])
    if low in _TENS:
        return "ten", Decimal(_TENS[low])
    if low == "hundred":
        return "hundred", Decimal(100)
    if low in _SCALES:
        return "scale", Decimal(_SCALES[low])
    if low and low[0].isdigit():
        value = parse_decimal(low)
        if value is not None:
            return "digits", value
    return "", Decimal(0)


def _starts_new_number(last: str, kind: str) -> bool:
    """Two adjacent tokens that cannot be one number ("five five", "20 30")."""
    if kind in ("hundred", "scale"):
        return False
    if last == "ten":
        return kind not in ("unit",)
    return last in ("unit", "teen", "digits")


def _digit_sequence(match: re.Match[str]) -> str:
    digits = "".join(_DIGIT_NAMES[w.lower()] for w in re.split(r"[\s-]+", match.group(1)))
    return f"{int(digits)} {match.group(2)}"


def digitize(text: str) -> str:
    """Rewrite spoken numbers in ``text`` as digits; other words are kept as they are."""

    def thousands(match: re.Match[str]) -> str:
        return _format(Decimal(match.group(1)) * 1000)

    def replace(match: re.Match[str]) -> str:
        tokens = re.split(r"[\s-]+", match.group(0))
        return " ".join(_parse_run(tokens))

    text = _K_RE.sub(thousands, text)
    text = _DIGIT_SEQ_RE.sub(_digit_sequence, text)
    text = _RUN_RE.sub(replace, text)
    # After the words became digits: "thirty K" -> "30 K" -> 30000.
    text = _K_RE.sub(thousands, text)
    return _GRAND_RE.sub(lambda m: f"{thousands(m)} dollars", text)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """Loan figures found in one utterance (None where not said)."""

    principal: Decimal | None = None
    rate_percent: Decimal | None = None
    term_months: int | None = None


_RATE_RE = re.compile(rf"({_DIGITS})\s*(?:%|percent\b|per\s*cent\b)", re.IGNORECASE)
_TERM_RE = re.compile(
    rf"({_DIGITS})[\s-]*(years?|yrs?|months?|mos?)\b", re.IGNORECASE
)
_AMOUNT_RE = re.compile(
    rf"(\$\s*)?({_DIGITS})(\s*(?:dollars?|bucks|usd)\b)?", re.IGNORECASE
)


def extract_loan_terms(text: str) -> LoanTerms:
    """Read principal, rate and term from free text (spoken or written numbers)."""
    norm = digitize(text)
    rate = term = principal = None
    taken: list[tuple[int, int]] = []
    if m := _RATE_RE.search(norm):
        rate = parse_decimal(m.group(1))
        taken.append(m.span())
    if m := _TERM_RE.search(norm):
        value = parse_decimal(m.group(1))
        if value is not None:
            months = value * 12 if m.group(2).lower().startswith("y") else value
            if months == months.to_integral_value():
                term = int(months)
        taken.append(m.span())
    candidates = []
    for m in _AMOUNT_RE.finditer(norm):
        if any(s <= m.start(2) < e for s, e in taken):
            continue
        value = parse_decimal(m.group(2))
        if value is None:
            continue
        marked = bool(m.group(1) or m.group(3))
        if marked or value >= 100:
            candidates.append((marked, value))
    if candidates:
        # "$" or "dollars" beats a bare number; otherwise the first one said.
        with_unit = [v for flag, v in candidates if flag]
        principal = (with_unit or [v for _, v in candidates])[0]
    return LoanTerms(principal=principal, rate_percent=rate, term_months=term)


@dataclass(frozen=True, slots=True)
class LoanMentions:
    """Every loan figure in one utterance, before anything is decided.

    The dialog decides: one value per slot is taken, two different ones are
    ambiguous and get a re-prompt, never a guess.
    """

    amounts: tuple[Decimal, ...] = ()  # with "$", "dollars" or "k", or unmarked >= 100
    marked_amounts: tuple[Decimal, ...] = ()  # the subset said with a money word or sign
    rates: tuple[Decimal, ...] = ()  # said with "%", "percent" or after "rate"/"APR"
    terms: tuple[int, ...] = ()  # in months
    bare: tuple[Decimal, ...] = ()  # numbers with no unit, under 100
    bad_terms: tuple[str, ...] = ()  # terms that are not a whole number of months ("2.5 months")
    alternatives: bool = False  # "20 or 30 thousand", "5 to 6 percent", "between 5 and 6 percent"

    @property
    def empty(self) -> bool:
        """True when no number at all was found."""
        return not (self.amounts or self.rates or self.terms or self.bare or self.bad_terms)


_UNIT = r"(?:\s*(%|percent|per\s*cent|dollars?|years?|months?))?"
# "20 or 30 thousand", "5 to 6 percent", "between 5 and 6 percent"; both sides' units are captured.
_ALTERNATIVES_RE = re.compile(
    rf"(\$)?{_DIGITS}{_UNIT}\s+(?:or|to)\s+(\$)?{_DIGITS}{_UNIT}"
    rf"|\bbetween\s+(\$)?{_DIGITS}{_UNIT}\s+and\s+(\$)?{_DIGITS}{_UNIT}",
    re.IGNORECASE,
)


def _unit_kind(sign: str | None, unit: str | None) -> str | None:
    word = (unit or "").lower()
    return "money" if sign or word.startswith("dollar") else "term" if word[:1] in ("y", "m") else (
        "rate" if word else None)


def _offers_alternatives(norm: str) -> bool:
    """Two values of one kind joined by "or"/"to": "5 years or 6.5 percent" (a mishearing of "at") is not."""
    for m in _ALTERNATIVES_RE.finditer(norm):
        sign1, unit1, sign2, unit2 = m.groups()[4:] if m.group(0).lower().startswith("between") else m.groups()[:4]
        a, b = _unit_kind(sign1, unit1), _unit_kind(sign2, unit2)
        if a is None or b is None or a == b:
            return True
    return False


_RATE_CUE_RE = re.compile(
    rf"\b(?:rate|interest|apr|a\.p\.r\.?)(?:\s+(?:of|is|at|be|would be|should be|will be))?\s+({_DIGITS})(?![\d%])"
    rf"(?!\s*(?:%|percent\b|per\s*cent\b|years?\b|months?\b|dollars?\b))",
    re.IGNORECASE,
)
_RATE_AFTER_RE = re.compile(rf"({_DIGITS})\s*(?:apr|a\.p\.r\.?)(?!\w)", re.IGNORECASE)
_A_YEAR_RE = re.compile(r"\b(?:a|one)\s+year(?:\s+and\s+a\s+half)?\b", re.IGNORECASE)
_HALF_YEAR_RE = re.compile(r"\b(\d+)\s+and\s+a\s+half\s+years?\b", re.IGNORECASE)


def _unique(values: list[Any]) -> tuple[Any, ...]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return tuple(seen)


# A caller correcting themselves in the same breath: "20000 dollars, no, sorry, 25000 dollars".
# A bare "no" counts only when punctuated or followed by another cue ("no more than" is no correction).
_CORRECTION_RE = re.compile(
    r"\b(?:no(?=\s*[,.;!-]|\s+(?:sorry|wait|i mean|make|actually))|sorry|i mean|actually|make (?:it|that)"
    r"|scratch that|rather|correction)\b",
    re.IGNORECASE,
)


def _after_correction(found: list[tuple[int, Any]], cues: list[int]) -> list[Any]:
    """The values said after the last cue that has one of them on both sides; all of them if none has."""
    for cue in reversed(cues):
        if any(pos < cue for pos, _ in found) and any(pos > cue for pos, _ in found):
            return [v for pos, v in found if pos > cue]
    return [v for _, v in found]


def find_loan_mentions(text: str) -> LoanMentions:
    """All amounts, rates and terms in ``text`` (spoken or written numbers)."""
    norm = digitize(text)
    # "a year and a half" / "2 and a half years" have no digit run of their own.
    norm = _A_YEAR_RE.sub(lambda m: "18 months" if "half" in m.group(0).lower() else "12 months", norm)
    norm = _HALF_YEAR_RE.sub(lambda m: f"{int(m.group(1)) * 12 + 6} months", norm)
    cues = [m.start() for m in _CORRECTION_RE.finditer(norm)]
    taken: list[tuple[int, int]] = []
    rates: list[tuple[int, Decimal]] = []
    for pattern in (_RATE_RE, _RATE_AFTER_RE, _RATE_CUE_RE):
        for m in pattern.finditer(norm):
            if any(s <= m.start(1) < e for s, e in taken):
                continue
            value = parse_decimal(m.group(1))
            if value is not None:
                rates.append((m.start(1), value))
                taken.append(m.span(1))
    terms: list[tuple[int, int]] = []
    bad_terms: list[str] = []
    for m in _TERM_RE.finditer(norm):
        if any(s <= m.start(1) < e for s, e in taken):
            continue
        taken.append(m.span())
        value = parse_decimal(m.group(1))
        if value is None:
            continue
        months = value * 12 if m.group(2).lower().startswith("y") else value
        if months == months.to_integral_value():
            terms.append((m.start(), int(months)))
        else:
            bad_terms.append(m.group(0))
    amounts: list[tuple[int, Decimal]] = []
    marked: list[tuple[int, Decimal]] = []
    bare: list[tuple[int, Decimal]] = []
    for m in _AMOUNT_RE.finditer(norm):
        if any(s <= m.start(2) < e for s, e in taken):
            continue
        value = parse_decimal(m.group(2))
        if value is None:
            continue
        if m.group(1) or m.group(3):
            marked.append((m.start(), value))
            amounts.append((m.start(), value))
        elif value >= 100:
            amounts.append((m.start(), value))
        else:
            bare.append((m.start(), value))
    rates.sort()
    return LoanMentions(
        amounts=_unique(_after_correction(amounts, cues)),
        marked_amounts=_unique(_after_correction(marked, cues)),
        rates=_unique(_after_correction(rates, cues)),
        terms=_unique(_after_correction(terms, cues)),
        bare=_unique(_after_correction(bare, cues)),
        bad_terms=tuple(bad_terms),
        alternatives=_offers_alternatives(norm),
    )

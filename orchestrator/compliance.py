"""PII redaction applied before anything is logged, stored, cached or sent out.

Covers card numbers (13-19 digits, Luhn-valid, with optional spaces or
dashes), US social security numbers, and account numbers introduced by the
word "account". Amounts such as "25,000" are never touched: they are too
short and fail the patterns' anchors.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = [
    "AI_DISCLOSURE",
    "CONSENT_DECLINED",
    "CONSENT_THANKS",
    "DISCLOSURE_MARKERS",
    "consent_in",
    "contains_card_number",
    "is_consent_answer",
    "redact",
    "redact_event",
    "redact_value",
]

# Opens every session, whatever the dialog backend (the pipeline prefixes it to the first reply).
AI_DISCLOSURE = (
    "You are speaking with the bank's virtual assistant, an automated AI system. "
    "This call is recorded for quality and compliance. "
    "Say I agree if we may also keep recordings of your voice."
)
CONSENT_THANKS = "Thank you. We will keep recordings of your voice for quality and compliance."
CONSENT_DECLINED = "Understood. We will not keep recordings of your voice."

_CONSENT_RE = re.compile(
    r"(?i)\b(?:i (?:do )?(?:agree|consent)|you (?:can|may) (?:record|keep)"
    r"|(?:yes,? )?(?:go ahead and )?record (?:it|me))\b"
)
_DECLINE_RE = re.compile(
    r"(?i)\b(?:i (?:do not|don'?t) (?:agree|consent)|(?:do not|don'?t) (?:record|keep)|no recordings?)\b"
)
_CONSENT_ONLY_RE = re.compile(
    r"(?i)^\W*(?:(?:yes|ok(?:ay)?|sure|fine|no|nope)\W+)?(?:i (?:do )?(?:agree|consent)|i (?:do not|don'?t) "
    r"(?:agree|consent)|you (?:can|may) (?:record|keep)(?: (?:it|me|my voice))?|(?:do not|don'?t) (?:record|keep)"
    r"(?: (?:it|me|my voice))?|no recordings?)(?:\W+(?:thanks|thank you|please))?\W*$"
)


def consent_in(text: str) -> bool | None:
    """True if ``text`` gives consent to keep the caller's voice, False if it refuses, else None."""
    if _DECLINE_RE.search(text):
        return False
    if _CONSENT_RE.search(text):
        return True
    return None


def is_consent_answer(text: str) -> bool:
    """The whole utterance is only an answer to the recording question ("I agree", "don't record me")."""
    return bool(_CONSENT_ONLY_RE.match(text))

# Words that show the disclosure was said (what a check looks for in a reply).
DISCLOSURE_MARKERS = ("virtual assistant", "recorded")

CARD_MASK = "[CARD]"
SSN_MASK = "[SSN]"
ACCOUNT_MASK = "[ACCOUNT]"
CVV_MASK = "[CVV]"
IBAN_MASK = "[IBAN]"
PHONE_MASK = "[PHONE]"
EMAIL_MASK = "[EMAIL]"

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"
# Card digits read out one by one ("four one one one ..."), possibly mixed with digits.
_SPOKEN_RUN_RE = re.compile(rf"(?i)\b{_DIGIT_WORD}(?:[\s,.-]+{_DIGIT_WORD}){{12,22}}\b")
_CVV_RE = re.compile(
    rf"(?i)\b(cvv2?|cvc2?|cid|security code|card verification(?: code| value)?|three digit code)"
    rf"(\s*(?:number|code)?\s*(?:is|was|:|=)?\s*)((?:\d|{_DIGIT_WORD}[\s,-]*){{3,4}})"
)
# After the word "card", a long digit run is masked even when it fails Luhn: speech recognition
# drops or mishears digits ("four" heard as "for"), and a wrong card number is still a card number.
_CARD_CONTEXT_RE = re.compile(r"(?i)(\bcard\b(?:\s+(?:number|no\.?|#))?[^.\d]{0,40}?)((?:\d[ -]?){11,18}\d)(?![\d])")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_PHONE_RE = re.compile(
    r"(?<![\w.,$])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?![\w.,]?\d)"
    r"|(?<![\w.,$])\+\d{1,3}(?:[ .-]?\d){7,12}(?![\w.,]?\d)"
)
_EMAIL_RE = re.compile(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")

# A run of 13 or more digits, optionally grouped by single spaces or dashes; the
# card inside it (13-19 digits, Luhn-valid) is found by _mask_card.
_CARD_RE = re.compile(r"(?<![\d.,])(?:\d[ -]?){12,}\d(?![\d.,]\d)")
_SSN_RE = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_SSN_SPOKEN_RE = re.compile(
    r"(?i)\b(social security(?: number)?|ssn)(\s*(?:is|:)?\s*)(\d[\d -]{7,10}\d)"
)
_ACCOUNT_RE = re.compile(
    r"(?i)\b(account(?:\s+(?:number|no\.?|#))?)(\s*(?:is|:)?\s*)(\d[\d -]{4,20}\d)"
)

_T = TypeVar("_T", bound=BaseModel)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_span(run: str) -> tuple[int, int] | None:
    """Character span of a Luhn-valid 13-19 digit card inside a digit run, longest first.

    Windows start and end at group boundaries (a card followed by its expiry
    or CVV: "4111 1111 1111 1111 12 25"); a single group of more than 19
    digits is also tried by its prefixes (a card typed straight into a CVV).
    Arbitrary inner windows are not tried: one in ten would pass Luhn by chance.
    """
    positions = [i for i, ch in enumerate(run) if ch.isdigit()]
    digits = "".join(run[i] for i in positions)
    starts = [k for k, i in enumerate(positions) if i == 0 or not run[i - 1].isdigit()]
    ends = {k + 1 for k, i in enumerate(positions) if i == len(run) - 1 or not run[i + 1].isdigit()}
    one_long_group = len(starts) == 1 and len(digits) > 19
    for length in range(min(19, len(digits)), 12, -1):
        for a in starts:
            b = a + length
            if b <= len(digits) and (b in ends or (one_long_group and a == 0)) and _luhn_ok(digits[a:b]):
                return positions[a], positions[b - 1] + 1
    return None


def _mask_card(match: re.Match[str]) -> str:
    run = match.group(0)
    span = _card_span(run)
    if span is None:
        return run
    head, tail = run[: span[0]], run[span[1] :]
    return head + CARD_MASK + (_CARD_RE.sub(_mask_card, tail) if tail else "")


def contains_card_number(text: str) -> bool:
    """True when ``text`` holds an unmasked, Luhn-valid card number."""
    return bool(text) and any(_card_span(m.group(0)) is not None for m in _CARD_RE.finditer(text))


def _spoken_card(match: re.Match[str]) -> str:
    run = match.group(0)
    tokens = re.split(r"[\s,.-]+", run.lower())
    digits = "".join(_DIGIT_WORDS.get(t, t) for t in tokens)
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return CARD_MASK
    # Find a Luhn-valid card inside a longer read-out (a card followed by its expiry, say).
    for length in range(min(19, len(tokens)), 12, -1):
        for start in range(0, len(tokens) - length + 1):
            window = "".join(_DIGIT_WORDS.get(t, t) for t in tokens[start : start + length])
            if _luhn_ok(window):
                before = " ".join(tokens[:start])
                after = " ".join(tokens[start + length :])
                return " ".join(p for p in (before, CARD_MASK, after) if p)
    return run


def _iban(match: re.Match[str]) -> str:
    raw = match.group(0).replace(" ", "")
    rearranged = raw[4:] + raw[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return IBAN_MASK if len(raw) >= 15 and int(number) % 97 == 1 else match.group(0)


def redact(text: str) -> str:
    """Return ``text`` with card numbers (written or read out), CVVs, SSNs, IBANs, account
    numbers, phone numbers and email addresses masked."""
    if not text:
        return text
    out = _EMAIL_RE.sub(EMAIL_MASK, text)
    out = _CVV_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{CVV_MASK}", out)
    out = _SPOKEN_RUN_RE.sub(_spoken_card, out)
    out = _IBAN_RE.sub(_iban, out)
    out = _CARD_RE.sub(_mask_card, out)
    out = _CARD_CONTEXT_RE.sub(lambda m: f"{m.group(1)}{CARD_MASK}", out)
    out = _SSN_RE.sub(SSN_MASK, out)
    out = _SSN_SPOKEN_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{SSN_MASK}", out)
    out = _ACCOUNT_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{ACCOUNT_MASK}", out)
    out = _PHONE_RE.sub(PHONE_MASK, out)
    return out


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (str, list, dict)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def redact_event(event: _T) -> _T:
    """A copy of a pydantic event with every string field redacted."""
    updates = {
        name: redact_value(getattr(event, name))
        for name, info in type(event).model_fields.items()
        if name not in ("session_id", "type", "wall_time")
    }
    changed = {k: v for k, v in updates.items() if v != getattr(event, k)}
    return event.model_copy(update=changed) if changed else event

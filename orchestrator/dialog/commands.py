"""In-dialog commands the rules dialog handles itself, by keyword rules.

These are answers to the dialog's own questions ("yes", "no"), requests
about what it just said ("repeat that") and follow-ups on a quote ("what's
the total interest?", "show me the schedule"). They are too short or too
context-bound for the intent classifier, and a rule is safer here.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["Command", "detect_command", "is_no", "is_yes"]


class Command(StrEnum):
    """A follow-up that only makes sense inside the conversation."""

    REPEAT = "repeat"
    TOTAL_INTEREST = "total_interest"
    SCHEDULE = "schedule"
    QUOTE = "quote"  # "what's the monthly payment?": the quote itself


_YES_RE = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|ya|sure|correct|right|that's right|that is right|ok|okay|"
    r"please do|go ahead|do it|sounds good|affirmative|absolutely|definitely|of course|perfect|great)\b",
    re.IGNORECASE,
)
_NO_RE = re.compile(
    r"^\W*(?:no|nope|nah|not quite|not really|wrong|incorrect|negative)\b|\b(?:change|wrong|that's not right)\b",
    re.IGNORECASE,
)
_REPEAT_RE = re.compile(
    r"\b(?:repeat|say (?:that|it|this) again|come again|pardon|one more time|what did you (?:just )?say|"
    r"didn'?t (?:catch|hear) (?:that|you|it))\b",
    re.IGNORECASE,
)
_INTEREST_RE = re.compile(
    r"\b(?:total|overall|how much)\b.*\binterest\b|\binterest\b.*\b(?:total|in all|altogether|overall)\b|"
    r"\bfinance charge\b|\bcost of (?:the )?(?:loan|credit|borrowing)\b",
    re.IGNORECASE,
)
_QUOTE_RE = re.compile(
    r"\b(?:monthly payments?|the payments?|each month|per month|a month|the quote|the estimate|"
    r"how much (?:is|would|will) (?:it|that|the loan) cost)\b",
    re.IGNORECASE,
)
_SCHEDULE_RE = re.compile(
    r"\b(?:schedule|amortization|amortisation|breakdown|payment plan|repayment plan|table|chart)\b",
    re.IGNORECASE,
)


# Hesitations before the answer ("um, yes", "well... no"): the answer is what follows them.
_FILLERS_RE = re.compile(
    r"^\W*(?:(?:u+m+|u+h+|e+r+m*|h+m+|m+|a+h+|oh|well|so|let me (?:think|see))(?:\W+|$))+", re.IGNORECASE
)


def _answer(text: str) -> str:
    return _FILLERS_RE.sub("", text, count=1)


def is_yes(text: str) -> bool:
    """The caller agrees ("yes", "sure, go ahead", "um, yes")."""
    return bool(_YES_RE.search(_answer(text))) and not is_no(text)


def is_no(text: str) -> bool:
    """The caller disagrees or wants a change ("no", "not quite, change the rate", "uh, no")."""
    return bool(_NO_RE.search(_answer(text)))


def detect_command(text: str) -> Command | None:
    """The in-dialog command in ``text``, if any."""
    if _REPEAT_RE.search(text):
        return Command.REPEAT
    if _INTEREST_RE.search(text):
        return Command.TOTAL_INTEREST
    if _SCHEDULE_RE.search(text):
        return Command.SCHEDULE
    if _QUOTE_RE.search(text):
        return Command.QUOTE
    return None

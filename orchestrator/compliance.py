"""Compliance: the AI disclosure, the recording consent, and PII redaction before anything keeps a text.

``redact`` is :func:`orchestrator.pii.redact` (every form a caller says or
types a card, CVV, PIN, SSN, IBAN, account or phone number or e-mail
address in); ``redact_value`` and ``redact_event`` apply it to JSON-like
values and events. Everything imports redaction from here.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypeVar

from pydantic import BaseModel

from orchestrator.errors import TextTooLongError
from orchestrator.pii import MASKS, MAX_INPUT_CHARS, redact

__all__ = [
    "ACCOUNT_MASK",
    "AI_DISCLOSURE",
    "CARD_MASK",
    "CONSENT_DECLINED",
    "CONSENT_THANKS",
    "CONSENT_WITHDRAWN",
    "CVV_MASK",
    "DISCLOSURE_MARKERS",
    "EMAIL_MASK",
    "IBAN_MASK",
    "MAX_INPUT_CHARS",
    "NUMBER_MASK",
    "PHONE_MASK",
    "PIN_MASK",
    "SSN_MASK",
    "check_message_length",
    "consent_in",
    "is_consent_answer",
    "redact",
    "redact_event",
    "redact_message",
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
CONSENT_WITHDRAWN = (
    "Understood. We will not keep recordings of your voice from now on, and the ones we kept are deleted."
)

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

CARD_MASK = MASKS["card"]
SSN_MASK = MASKS["ssn"]
ACCOUNT_MASK = MASKS["account"]
CVV_MASK = MASKS["cvv"]
IBAN_MASK = MASKS["iban"]
PHONE_MASK = MASKS["phone"]
EMAIL_MASK = MASKS["email"]
PIN_MASK = MASKS["pin"]
NUMBER_MASK = MASKS["number"]

_T = TypeVar("_T", bound=BaseModel)


# Longer typed messages are redacted in a worker thread, so one message never stalls other chats.
_INLINE_CHARS = 4096


def check_message_length(text: str) -> None:
    """Raise ``TextTooLongError`` ("message too long") for a message over ``MAX_INPUT_CHARS``."""
    if len(text) > MAX_INPUT_CHARS:
        raise TextTooLongError(f"message too long: the limit is {MAX_INPUT_CHARS} characters")


async def redact_message(text: str, max_chars: int) -> str:
    """A caller's typed message, redacted, then cut to ``max_chars``.

    Raises ``TextTooLongError`` ("message too long") for a message over
    ``MAX_INPUT_CHARS``, before any work is done on it. Redaction comes
    before the cut, so a cut can never split a card number.
    """
    check_message_length(text)
    stripped = text.strip()
    clean = redact(stripped) if len(stripped) <= _INLINE_CHARS else await asyncio.to_thread(redact, stripped)
    return clean[:max_chars]


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

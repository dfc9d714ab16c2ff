"""What a caller's words say about keeping their voice: a direct answer to the recording question, or a
withdrawal.

The question is asked with the AI disclosure ("Say I agree if we may also keep recordings of your
voice."). Only the caller's next utterance can answer it, and only when that utterance *is* an answer:
"I agree", "yes, I consent", "don't record me", or a bare "yes"/"no" when the reply that asked held no
other question. "I agree with the five year term" merely contains the words and answers nothing.
Withdrawal ("stop recording me", "I withdraw my consent", "delete my recordings") counts at any turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.compliance import consent_in, is_consent_answer

__all__ = ["Answer", "read_answer", "read_withdrawal"]

# A bare yes or no, perhaps with "please" or "thanks": an answer only to a question that stands alone.
_YES = r"(?:yes|yeah|yep|sure|ok(?:ay)?|fine|of course|go ahead|please do)"
_NO = r"(?:no|nope|no thanks?|no thank you)"
_POLITE = r"(?:\W+(?:please|thanks|thank you))*\W*$"
_YES_RE = re.compile(rf"(?i)^\W*{_YES}(?:\W+{_YES})*{_POLITE}")
_NO_RE = re.compile(rf"(?i)^\W*{_NO}{_POLITE}")
_WITHDRAW_RE = re.compile(
    r"(?i)\b(?:stop (?:recording|keeping)(?: me| my voice| (?:the |my )?(?:recordings?|calls?))?"
    r"|(?:do not|don'?t) (?:record|keep) (?:me|my voice)(?: any ?more| from now on)?"
    r"|(?:withdraw|take back|revoke|cancel) (?:my |the )?consent"
    r"|i no longer (?:agree|consent)"
    r"|(?:delete|erase|remove) (?:my|the|all) (?:voice )?recordings?"
    r"|(?:delete|erase) my voice"
    r"|changed my mind about (?:the |being )?record(?:ing|ed)s?)\b"
)
# Words that carry no request of their own: a rest made only of them leaves nothing for the dialog.
_FILLER_RE = re.compile(
    r"(?i)^(?:\W*\b(?:actually|well|um+|uh+|erm?|hmm+|oh|ok(?:ay)?|so|and|also|now|right|then|just|please"
    r"|thanks|thank you|sorry|hey|hi|hello)\b)*\W*$"
)
# Where one clause ends and the next begins: sentence marks, semicolons, commas (not inside a number such
# as "5,000" or "1.9"), a plain "and"/"but"/"so".
_BREAK_RE = re.compile(
    r"\s*(?:(?:[!?;]|[.,](?!\d))+\s*(?:(?:and|but|so)\b)?|\s(?:and|but|so)\s)\s*", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the caller's words settle: ``consent`` (True yes, False no) and the rest of what they said."""

    consent: bool
    rest: str  # the words after the answer or around the withdrawal ("" when there are none)

    def __post_init__(self) -> None:
        if _FILLER_RE.match(self.rest):  # "Actually, stop recording me": "Actually" asks nothing
            object.__setattr__(self, "rest", "")


def _clauses(text: str) -> list[tuple[str, int, int]]:
    """Each clause of ``text`` with where it starts and ends (so the rest is kept exactly as it was said)."""
    found, start = [], 0
    for brk in [*_BREAK_RE.finditer(text), None]:
        end = len(text) if brk is None else brk.start()
        if text[start:end].strip(" \t\"'"):
            found.append((text[start:end], start, end))
        start = len(text) if brk is None else brk.end()
    return found


def read_answer(text: str, *, bare_yes_no: bool) -> Answer | None:
    """The answer to the recording question that ``text`` gives, if it gives one.

    The opening clauses must be an answer as a whole ("I agree", "yes, I consent", "I do not consent");
    what follows them is left for the dialog. A bare yes/no counts only as the whole utterance, and only
    with ``bare_yes_no`` (the reply that asked had no question of its own).
    """
    clauses = _clauses(text)
    for n, (_clause, _start, end) in enumerate(clauses[:3]):
        opening = text[clauses[0][1]:end]
        if is_consent_answer(opening):
            consent = consent_in(opening)
            rest = text[clauses[n + 1][1]:].strip() if n + 1 < len(clauses) else ""
            if consent is not None:
                return Answer(consent, rest)
    if bare_yes_no and _YES_RE.match(text):
        return Answer(True, "")
    if bare_yes_no and _NO_RE.match(text):
        return Answer(False, "")
    return None


def read_withdrawal(text: str) -> Answer | None:
    """A withdrawal of consent anywhere in ``text`` ("stop recording me"), with the clauses it was not in."""
    clauses = [clause for clause, _start, _end in _clauses(text)]
    if not any(_WITHDRAW_RE.search(clause) for clause in clauses):
        return None
    return Answer(False, ". ".join(c.strip() for c in clauses if not _WITHDRAW_RE.search(c)))

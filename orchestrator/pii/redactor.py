"""``redact``: every personal number, IBAN and e-mail address in a text replaced by its mask.

Each detector reports spans of the original text; overlapping spans are
merged (the more sensitive kind names the mask) and replaced in one pass.
The work is linear in the length of the text, and a text longer than
``MAX_INPUT_CHARS`` is never scanned at all: it is withheld whole.
"""

from __future__ import annotations

from orchestrator.pii.alnum import Span, find_emails, find_ibans, find_spoken_iban
from orchestrator.pii.cues import CueIndex
from orchestrator.pii.detect import LEAD_CHARS, Budget, bridged, classify, continues, led, worth_parsing
from orchestrator.pii.runs import Run, find_runs

__all__ = ["MASKS", "MAX_INPUT_CHARS", "find_pii", "redact"]

# The longest text any face accepts (the pipeline refuses longer messages before any work).
MAX_INPUT_CHARS = 100_000

MASKS = {
    "card": "[CARD]",
    "cvv": "[CVV]",
    "pin": "[PIN]",
    "ssn": "[SSN]",
    "iban": "[IBAN]",
    "account": "[ACCOUNT]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "number": "[NUMBER]",
}
# The most characters between a masked number and a run that may be the rest of it.
_REST_GAP = 8
# When spans overlap, the first kind here names the merged mask.
_RANK = {kind: rank for rank, kind in enumerate(("iban", "card", "ssn", "cvv", "pin", "account", "email", "phone",
                                                 "number"))}


def _withheld(text: str) -> str:
    return f"[WITHHELD: {len(text)} characters]"


def _lower(text: str) -> str:
    """``text`` in lower case, character for character (so every span stays where it was)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def find_pii(text: str) -> list[Span]:
    """Sorted, non-overlapping ``(start, end, kind)`` spans of every piece of personal data in ``text``."""
    if len(text) > MAX_INPUT_CHARS:
        return [(0, len(text), "number")]
    low = _lower(text)
    budget = Budget()
    cues = CueIndex(low)
    spans: list[Span] = list(find_emails(low))
    spans.extend(find_ibans(low, budget))
    for end, kind in cues.all():
        if kind == "iban" and (spoken := find_spoken_iban(text, end, budget)) is not None:
            spans.append(spoken)
    last: Span | None = None  # the last run masked: a run just after it may be the rest of that number

    def near_last(start: int) -> bool:
        return last is not None and start - last[1] <= _REST_GAP

    kept: Run | None = None  # the last run kept: with the next one, it may be one number broken in two
    for run in find_runs(low, lambda start, count: near_last(start) or worth_parsing(low, start, count, cues)):
        found = classify(low, run, cues, budget)
        if found is None and last is not None and near_last(run.start) and continues(low, run, last[1]):
            found = last[2]  # the rest of the number just masked, cut off by a misheard word
        span = run
        if found is None and kept is not None and (whole := bridged(low, kept, run, cues)) is not None:
            found = classify(low, whole, cues, budget)
            span = whole
        # Digits too few for a run, cut off its start by a misheard word (never the last run kept: bridged).
        if found is None and (kept is None or run.start - kept.end > LEAD_CHARS) and (
                whole := led(low, run, cues)) is not None:
            found = classify(low, whole, cues, budget)
            span = whole
        if found is None:
            kept = run
        else:
            start = span.start - 1 if span.start and text[span.start - 1] in "(+" else span.start
            last = (start, span.end, found)
            spans.append(last)
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            best = last_kind if _RANK[last_kind] <= _RANK[kind] else kind
            merged[-1] = (last_start, max(last_end, end), best)
        else:
            merged.append((start, end, kind))
    return merged


def redact(text: str) -> str:
    """``text`` with every card, CVV, PIN, SSN, IBAN, account and phone number and e-mail address masked.

    Amounts, rates, terms and dates stay as they are. A text longer than
    ``MAX_INPUT_CHARS`` comes back as one placeholder that says only its length.
    """
    if not text:
        return text
    if len(text) > MAX_INPUT_CHARS:
        return _withheld(text)
    spans = find_pii(text)
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(text[position:start])
        out.append(MASKS[kind])
        position = end
    out.append(text[position:])
    return "".join(out)

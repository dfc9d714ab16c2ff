"""What a digit run is: a card, a CVV, a PIN, an SSN, an account or a phone number, or an amount to keep.

The rules, in order (``classify``):

1. A formatted amount ("25,000", "1,995.91", "6.5") or a short number next to
   a currency or a unit ("$25000", "48 months") is kept, except a bare decimal
   right after a card, CVV, PIN or SSN cue ("security code is 5.76": Whisper's pause).
2. A run too long to parse, or of more than 40 digits, is masked whole:
   nobody reads out that much, and looking inside it is what an attacker wants.
3. A run of 13+ digits with a Luhn-valid window of 13-19 digits that starts
   and ends on a group boundary is a card ("4111 1111 1111 1111 12 25" too).
4. After a cue: a card cue and 10+ digits is a card even when Luhn fails
   (Whisper drops and mishears digits); CVV 3-4 digits, PIN 4-8, SSN 7-11,
   account 6+, phone 7+.
5. By shape: nine digits grouped 3-2-4, or a valid SSN, is an SSN; ten digits,
   eleven starting with 1, or a run behind a plus sign is a phone number.
6. Any other run longer than a card (20+ digits) that is no amount is masked:
   that is an IBAN or an account number whose cue was misheard.

Check digits come from python-stdnum. Each text has a budget of check-digit
tests; past it, every further long run is masked unchecked (only hostile
input gets that far, and it fails safe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import luhn
from stdnum.us import ssn

from orchestrator.pii.cues import CueIndex
from orchestrator.pii.runs import Run

__all__ = ["LEAD_CHARS", "Budget", "bridged", "classify", "continues", "led", "worth_parsing"]

MAX_DIGITS = 40
_CARD_MIN, _CARD_MAX = 13, 19
_AMOUNT_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")
# A decimal after one of these cues is the number itself, not an amount (amounts carry a unit or "$"):
# Whisper wrote "My card number is 4.60595745487." A card cue still needs 10+ digits (rule 4).
_DECIMAL_CUES = frozenset({"cvv", "pin", "ssn", "card"})
_CURRENCY_BEFORE = frozenset("$£€¥₹")
# Inside a run, a currency sign or cents: a list of amounts ("$489.35, 29,349.20"), not one number.
_MONEY_IN_RUN = re.compile(r"[$£€¥₹]|\.\d{2}(?!\d)")
# Between two parts of one number said after its cue: separators and at most two short words.
_BRIDGE_RE = re.compile(r"[\s,.\-/]*+(?:[a-z]{1,6}[\s,.\-/]++){0,2}+")
_BRIDGE_CHARS = 20
# One or two digits, then a word or two, at the end of the text before a run: "2 will" before "7 9 5 0 8 0"
# ("two oh seven..." heard as "2 will 7 ..."). Too short to be a run, they still stand between a cue and it.
LEAD_CHARS = _BRIDGE_CHARS + 2
_LEAD_RE = re.compile(r"(?<![\d.,])(\d{1,2})[\s,.\-/]*+(?:[a-z]{1,6}[\s,.\-/]++){1,2}+")
# Between a masked number and the rest of it: separators and at most one short word or filler.
_CONTINUES_RE = re.compile(r"[\s,.\-/]*+(?:(?:[a-z]{1,3}|umm|erm)[\s,.\-/]++)?+")
_UNIT_AFTER_RE = re.compile(
    r"(?i)\s?(?:%|percent\b|per ?cent\b|dollars?\b|bucks\b|pounds?\b|quid\b|euros?\b|cents?\b|pence\b|usd\b|gbp\b"
    r"|eur\b|k\b|grand\b|months?\b|years?\b|yrs?\b|weeks?\b|days?\b|hours?\b|minutes?\b|times\b|percent)"
)


@dataclass(slots=True)
class Budget:
    """How many check-digit tests one text may still spend."""

    left: int = 512

    def spend(self) -> bool:
        """Take one test; False once none are left."""
        self.left -= 1
        return self.left >= 0


def _is_amount(text: str, run: Run, cues: CueIndex) -> bool:
    if not run.spoken and _AMOUNT_RE.fullmatch(text, run.start, run.end):
        # "25,000", "6.5": formatted figures. A 13+ digit comma number, or one right after a cue
        # ("account number 12,345,678"), is still checked below unless a currency or unit says otherwise.
        if _has_unit(text, run):
            return True
        written = text[run.start : run.end]
        if "." in written:
            if len(written.rsplit(".", 1)[1]) >= 3 and len(run.digits) >= 7 and cues.near(run.start):
                return False  # "call me back on 6.009460937": a number read out with a pause, not money
            # "The security code is 5.76": Whisper's period inside a short code said after its cue.
            return not cues.before(run.start) & _DECIMAL_CUES
        return len(run.digits) < _CARD_MIN and not cues.near(run.start)
    return len(run.groups) == 1 and len(run.digits) < _CARD_MIN and _has_unit(text, run)


def _has_unit(text: str, run: Run) -> bool:
    before = text[max(0, run.start - 2) : run.start].strip()
    return bool(before and before[-1] in _CURRENCY_BEFORE) or bool(_UNIT_AFTER_RE.match(text, run.end))


def _card_window(run: Run, budget: Budget) -> bool | None:
    """True if a Luhn-valid 13-19 digit window starts and ends on group boundaries; None if out of budget.

    A run of one group longer than a card ("41111111111111111234": a card
    typed straight into its CVV) is tried by its prefixes and suffixes instead.
    Windows that cut through a group are never tried: one in ten would pass by chance.
    """
    digits = run.digits
    n = len(digits)
    if len(run.groups) == 1:
        sizes = range(_CARD_MIN, min(_CARD_MAX, n) + 1) if n > _CARD_MAX else (n,)
        pairs = [(0, size) for size in sizes] + [(n - size, n) for size in sizes if size < n]
    else:
        cuts = [0]
        for group in run.groups:
            cuts.append(cuts[-1] + len(group))
        pairs = []
        for i, a in enumerate(cuts):
            for b in cuts[i + 1 :]:
                if b - a > _CARD_MAX:
                    break
                if b - a >= _CARD_MIN:
                    pairs.append((a, b))
    for a, b in pairs:
        if not budget.spend():
            return None
        if luhn.is_valid(digits[a:b]):
            return True
    return False


def _by_cue(cues: frozenset[str], n: int) -> str | None:
    if not cues:
        return None
    if "card" in cues and n >= 10:
        return "card"
    if "cvv" in cues and 3 <= n <= 4:
        return "cvv"
    if "pin" in cues and 4 <= n <= 8:
        return "pin"
    if "ssn" in cues and 7 <= n <= 11:
        return "ssn"
    if "account" in cues and n >= 6:
        return "account"
    if "phone" in cues and n >= 7:
        return "phone"
    if "iban" in cues and n >= 6:
        return "iban"
    return None


def _by_shape(text: str, run: Run) -> str | None:
    digits, n = run.digits, len(run.digits)
    if n == 9:
        sizes = [len(g) for g in run.groups]
        if sizes == [3, 2, 4] or ssn.is_valid(digits):
            return "ssn"
    lead = text[max(0, run.start - 1) : run.start]
    if (lead == "+" and 7 <= n <= 15) or n == 10 or (n == 11 and digits[0] == "1"):
        return "phone"
    return None


def worth_parsing(text: str, start: int, digit_count: int, cues: CueIndex) -> bool:
    """Could a run of written digits starting at ``start`` be anything but an amount or a date?"""
    return digit_count >= _CARD_MIN or digit_count in (9, 10, 11) or cues.near(start) or text[start - 1 : start] == "+"


def classify(text: str, run: Run, cues: CueIndex, budget: Budget) -> str | None:
    """The kind of personal number ``run`` is ("card", "cvv", ...), or None to keep it."""
    if run.oversized:
        return "card" if "card" in cues.before(run.start) else "number"
    n = len(run.digits)
    if n < _CARD_MIN:
        # Most runs are short: what their cue or shape makes them, unless they are an amount.
        kind = _by_cue(cues.before(run.start), n) or _by_shape(text, run)
        return None if kind is None or _is_amount(text, run, cues) else kind
    if _is_amount(text, run, cues):
        return None
    if n > MAX_DIGITS:
        return "card" if "card" in cues.before(run.start) else "number"
    if n >= _CARD_MIN:
        found = _card_window(run, budget)
        if found is None:
            return "number"
        if found:
            return "card"
    # As long as a card and no amount: a card Whisper misheard (Luhn fails) after a cue it also misheard
    # ("My car number is ..."), or an IBAN or account whose cue it mangled ("My name is DIE 5249...").
    long_number = n >= _CARD_MIN and not _MONEY_IN_RUN.search(text, max(0, run.start - 1), run.end)
    return _by_cue(cues.before(run.start), n) or _by_shape(text, run) or ("number" if long_number else None)


def bridged(text: str, first: Run, second: Run, cues: CueIndex) -> Run | None:
    """``first`` and ``second`` as one run when a cue introduced ``first`` and only a word or two that
    Whisper misheard stands between them ("My card number is 46669412, a 1241165"); else None."""
    if second.start - first.end > _BRIDGE_CHARS:
        return None
    kinds, alone, both = cues.before(first.start), len(first.digits), len(first.digits) + len(second.digits)
    # Only worth it when together they are a number of the cue's kind that the first part alone was not.
    if not kinds or not (both >= _CARD_MIN or (_by_cue(kinds, both) is not None and _by_cue(kinds, alone) is None)):
        return None
    if (not _BRIDGE_RE.fullmatch(text, first.end, second.start)
            or _has_unit(text, first) or _has_unit(text, second)
            or _MONEY_IN_RUN.search(text, max(0, first.start - 1), second.end)):
        return None
    return Run(first.start, second.end, first.groups + second.groups, first.spoken or second.spoken)


def led(text: str, run: Run, cues: CueIndex) -> Run | None:
    """``run`` with the one or two digits a misheard word cut off its start ("My account number is 2 will
    7 9 5 0 8 0"), when a cue introduced those digits and together they make a number of its kind; else None."""
    low = max(0, run.start - LEAD_CHARS)
    match = next((m for m in _LEAD_RE.finditer(text, low, run.start) if m.end() == run.start), None)
    if match is None:
        return None
    return bridged(text, Run(match.start(1), match.end(1), [match.group(1)]), run, cues)


def continues(text: str, run: Run, masked_end: int) -> bool:
    """Is ``run`` the rest of the number masked up to ``masked_end`` ("[CARD], in 2059,3299": Whisper broke
    it with a misheard word)? Three digits or more, at most one short word between, and no unit or currency."""
    return (len(run.digits) >= 3 and bool(_CONTINUES_RE.fullmatch(text, masked_end, run.start))
            and not _has_unit(text, run) and not _MONEY_IN_RUN.search(text, max(0, run.start - 1), run.end))

"""The words that introduce a number ("card number", "CVV", "my social", "account"), found once per text."""

from __future__ import annotations

import bisect
import re

__all__ = ["CueIndex"]

# Most specific first: "card verification code" is a CVV cue, not a card cue.
_CUES = (
    ("cvv", r"cvv2?|cvc2?|cvn|cid|csc|card (?:verification|security) (?:code|value|number)"
            r"|security (?:code|number|digits)|verification (?:code|value|number)"
            r"|(?:three|3|four|4)[- ]digits?(?: security)? (?:code|number)"
            r"|(?:code|digits|numbers?) on the back"),
    ("pin", r"pin(?: number| code)?|passcode|pass code|password"),
    ("ssn", r"ssn|s\.? ?s\.? ?n|social(?: security| insurance)?(?: number| no)?|tax (?:id|identification)(?: number)?"
            r"|itin|national insurance(?: number)?"),
    ("iban", r"iban|international bank account(?: number)?|bic|swift(?: code)?"),
    ("phone", r"phone(?: number)?|telephone|mobile(?: number)?|cell(?: ?phone)?(?: number)?|landline|whatsapp|fax"
              r"|call me(?: back)?(?: on| at)?|reach me(?: on| at)?|contact number"),
    # "count number": Whisper's hearing of "account number" in Piper's voice.
    ("account", r"accounts?(?: numbers?| no)?|count numbers?|acct|a/c|routing(?: number)?|sort code|aba|bsb"
                r"|(?:member(?:ship)?|customer|client) (?:number|no|id)"),
    ("card", r"(?:credit |debit |bank |visa |master ?card |amex )?cards?(?: numbers?| no)?|visa|master ?card|amex"
             r"|american express|discover|maestro|long number|pan"),
)
# Every character a cue above starts with: the look-ahead lets the engine skip to the next one.
_FIRST = "34abcdfilmnprstvw"
# On lower-cased text.
_CUE_RE = re.compile(
    rf"(?=[{_FIRST}])(?<![a-z])(?:" + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _CUES) + r")\b"
)
# Between a cue and its number: a few words ("number is", "it's", "ending"), never a digit.
_GAP_CHARS = 60
_DIGIT_RE = re.compile(r"\d")


class CueIndex:
    """Where every cue in one (lower-cased) text ends, and of which kind, for quick look-ups behind a run."""

    def __init__(self, text: str) -> None:
        self._ends: list[int] = []
        self._kinds: list[str] = []
        self._digit_after: list[int] = []  # where the first digit after each cue is (len(text) if none)
        self._before: dict[int, frozenset[str]] = {}  # one look-up per run start, however often asked
        digit_at = -1
        for match in _CUE_RE.finditer(text):
            end = match.end()
            if digit_at < end:  # cues between two digits share the search
                found = _DIGIT_RE.search(text, end)
                digit_at = found.start() if found is not None else len(text)
            self._ends.append(end)
            self._kinds.append(str(match.lastgroup))
            self._digit_after.append(digit_at)

    def all(self) -> list[tuple[int, str]]:
        """Every cue as (end position, kind), in order."""
        return list(zip(self._ends, self._kinds, strict=True))

    def near(self, position: int) -> bool:
        """True when some cue ends within reach before ``position``."""
        i = bisect.bisect_right(self._ends, position)
        return i > 0 and self._ends[i - 1] >= position - _GAP_CHARS

    def before(self, position: int) -> frozenset[str]:
        """The kinds of cue that introduce a number starting at ``position``."""
        known = self._before.get(position)
        if known is not None:
            return known
        i = bisect.bisect_right(self._ends, position)
        kinds: set[str] = set()
        # Walking back, the first cue with a digit between it and ``position`` ends the search.
        while i > 0 and self._ends[i - 1] >= position - _GAP_CHARS and self._digit_after[i - 1] >= position:
            i -= 1
            kinds.add(self._kinds[i])
        found = self._before[position] = frozenset(kinds)
        return found

"""Personal data made of letters and digits: IBANs (written or read out) and e-mail addresses.

Every pattern here is linear: possessive quantifiers, and an e-mail's local
part is only ever matched from its first character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from stdnum import iban, numdb
from stdnum.iso7064 import mod_97_10

from orchestrator.pii.detect import Budget
from orchestrator.pii.words import NUMBER_WORDS

__all__ = ["Span", "find_emails", "find_ibans", "find_spoken_iban"]

Span = tuple[int, int, str]  # (start, end, kind)

# Both on lower-cased text.
_EMAIL_RE = re.compile(r"(?<![a-z0-9._%+\-])[a-z0-9._%+\-]++@[a-z0-9\-]++(?:\.[a-z0-9\-]++)++")
# Groups may be split by spaces, dashes, periods, slashes or commas (Whisper writes pauses as commas).
_SEP = r"(?:,\s?|[ \-./])?"
_IBAN_RE = re.compile(rf"(?=[a-z])(?<![a-z0-9])[a-z]{{2}}{_SEP}\d{_SEP}\d(?:{_SEP}[a-z0-9]){{10,32}}+")
_IBAN_SEP_RE = re.compile(r"[ \-.,/]+")
_IBAN_MAX = 34
_SPOKEN_TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]|\s+")
_SPOKEN_LEAD = frozenset({"is", "it's", "its", "number", "my", "the", "code", "reads", "it"})
_DIGIT_OF = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}


def find_emails(text: str) -> Iterator[Span]:
    """Every e-mail address in lower-cased ``text`` (a local part, "@", a dotted domain ending in a 2+ letter label)."""
    for match in _EMAIL_RE.finditer(text):
        tld = match.group().rsplit(".", 1)[-1]
        if len(tld) >= 2 and tld.isalpha():
            yield match.start(), match.end(), "email"


@lru_cache(maxsize=512)
def _iban_length(country: str) -> int | None:
    """The IBAN length of ``country`` from python-stdnum's registry, or None if it has no IBAN."""
    info = numdb.get("iban").info(country)
    props = info[0][1] if info else {}
    bban = props.get("bban") if props else None
    if not bban:
        return None
    return 4 + sum(int(size) for size in re.findall(r"(\d+)!", bban))


def _valid_iban(compact: str, budget: Budget) -> bool:
    length = _iban_length(compact[:2])
    if length is None or len(compact) != length or not budget.spend():
        return False
    # The mod-97 test first: it is cheap and rejects 96 in 97 strings.
    return mod_97_10.is_valid(compact[4:] + compact[:4]) and iban.is_valid(compact)


def _misheard_iban(compact: str, length: int) -> int:
    """How many characters of ``compact`` read as an IBAN of its country that Whisper got slightly wrong
    (a digit dropped or doubled, so the check fails): about its length, nearly all digits. 0 if not."""
    head = compact[: length + 1]
    while head and not head[-1].isdigit():  # a word run on after the number is not part of it
        head = head[:-1]
    digits = sum(ch.isdigit() for ch in head[2:])
    if len(head) < length - 2 or digits < 12 or digits < 0.8 * (len(head) - 2):
        return 0
    return len(head)


def find_ibans(text: str, budget: Budget) -> Iterator[Span]:
    """Every written IBAN in lower-cased ``text``: check digits and national format as python-stdnum accepts
    them, or, when the check fails, a country code and about its IBAN's length of digits (misheard)."""
    for match in _IBAN_RE.finditer(text):
        compact = _IBAN_SEP_RE.sub("", match.group()).upper()
        length = _iban_length(compact[:2])
        if length is None:
            continue
        if len(compact) < length or not _valid_iban(compact[:length], budget):
            length = _misheard_iban(compact, length)
            if not length:
                continue
        positions = [i for i in range(match.start(), match.end()) if text[i].isalnum()]
        yield match.start(), positions[length - 1] + 1, "iban"


def find_spoken_iban(text: str, start: int, budget: Budget) -> Span | None:
    """An IBAN read out right after an IBAN cue ending at ``start`` ("G B eight two W E S T ...").

    The longest prefix that is a valid IBAN is masked; when none is, the
    letters and digits up to the first ordinary word are (the caller said
    an IBAN there, perhaps misheard).
    """
    pieces: list[tuple[int, int, str]] = []  # (start, end, normalised characters)
    leading = True
    compact_len = 0
    for token in _SPOKEN_TOKEN_RE.finditer(text, start, min(len(text), start + 400)):
        word = token.group()
        low = word.lower()
        if not word[0].isalnum():
            if word[0] in ".?!;" and pieces and text[token.end() : token.end() + 1] in ("", "\n"):
                break
            continue
        if leading and low in _SPOKEN_LEAD:
            continue
        leading = False
        if low in _DIGIT_OF and word != "O":  # a capital O alone is the letter
            chars = _DIGIT_OF[low]
        elif low in NUMBER_WORDS:
            break
        elif word.isdigit() or (len(word) <= 4 and not (word.islower() and len(word) > 1)):
            chars = word.upper()
        else:
            break
        pieces.append((token.start(), token.end(), chars))
        compact_len += len(chars)
        if compact_len >= _IBAN_MAX:
            break
    if not pieces:
        return None
    compact = ""
    best: int | None = None
    for index, (_s, _e, chars) in enumerate(pieces):
        compact += chars
        if len(compact) >= 15 and _valid_iban(compact, budget):
            best = index
    last = best if best is not None else len(pieces) - 1
    if best is None and compact_len < 8:
        return None
    return pieces[0][0], pieces[last][1], "iban"

"""An independent detector of personal numbers: the oracle that checks the redactor.

It shares no code, table or pattern with :mod:`orchestrator.pii` and imports
nothing from it. It works the other way round: the whole text is first
flattened into runs of digits (digit words, "double"/"triple" and group
words such as "forty one eleven" become digits; spaces, commas, periods,
dashes, slashes, brackets, fillers and "and" between digits are dropped),
and then every window of every run is tested:

* card: every window of 13-19 digits not starting with 0 passing the Luhn check;
* SSN: a run of exactly nine digits with a possible SSN structure, or any
  nine digits written in 3-2-4 groups;
* phone: a run of 10-15 digits, or of 7+ behind a plus sign;
* IBAN: letters and digits flattened the same way, every window starting
  with a country code and passing mod 97;
* CVV, PIN and account numbers after the words that name them;
* e-mail: an "@" between a local part and a dotted domain.

It is deliberately more suspicious than the redactor (every window, not
only those on group boundaries), so it may flag a Luhn-valid accident in a
long run. Two things keep machine data out: a bare decimal point
("1718000000.25") ends a run, so timestamps and amounts in logs do not
join into card-length runs, and a lower-case hex token of 16+ characters
(a hash, a uuid) is never read as digits. A decimal point inside a run that
follows a cue ("security code is 5.76", with no quote mark between, so a
JSON field after a logged cue stays apart) is only a pause: the run goes on.
So is one between Whisper's pauses ("on 2.60. 989. 6999.") and one that
closes a long grouped number ("60-11, 1159, 8410, 91.99.").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.leakwords import SKIP_WORDS, WORD_DIGIT, is_number_word, spell, tokens

__all__ = ["KINDS", "Finding", "has_card", "luhn_valid", "scan", "scan_file", "to_digit_runs"]

KINDS = ("card", "ssn", "phone", "iban", "cvv", "pin", "account", "email")

_MAX_SOFT = 5
# Published IBAN lengths of the countries callers here name most (others: any length 15-34).
_IBAN_LENGTH = {"GB": 22, "DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "CH": 21, "AT": 20, "IE": 22,
                "PL": 28, "PT": 25, "SE": 24, "NO": 15, "DK": 18, "FI": 18, "LU": 20, "GR": 27, "CZ": 24, "HU": 28,
                "RO": 24, "HR": 21, "SI": 19, "SK": 24, "BG": 22, "LT": 20, "LV": 21, "EE": 20, "IS": 26, "MT": 31}
_CUE_WORDS = {
    "cvv": ("cvv", "cvc", "cvv2", "cvc2", "csc", "security code", "verification code", "code on the back",
            "digit code"),
    "pin": ("pin", "passcode", "password"),
    "account": ("account", "acct", "routing", "sort code", "count number"),
    "ssn": ("social security", "ssn", "my social"),
}
_CUE_REACH = 60  # characters between a cue and its number


@dataclass(frozen=True, slots=True)
class Finding:
    """One personal number found: its kind, its digits (or characters) and where it was."""

    kind: str
    value: str
    start: int
    end: int


@dataclass(slots=True)
class _Run:
    digits: list[str]
    positions: list[tuple[int, int]]  # the text span each digit came from
    group_sizes: list[int]
    after_plus: bool = False


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check, written out: double every second digit from the right."""
    total = 0
    for k, ch in enumerate(reversed(digits)):
        value = (ord(ch) - 48) * (2 if k % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def to_digit_runs(text: str) -> list[_Run]:
    """``text`` flattened into runs of digits (see the module docstring)."""
    runs: list[_Run] = []
    run = _Run([], [], [])
    soft = 0
    words: list[tuple[str, int, int]] = []

    def close() -> None:
        nonlocal run
        if run.digits:
            runs.append(run)
        run = _Run([], [], [])

    def add(digits: str, s: int, e: int, new_group: bool) -> None:
        if not run.digits and s > 0 and text[s - 1] == "+":
            run.after_plus = True
        for ch in digits:
            run.digits.append(ch)
            run.positions.append((s, e))
        if new_group or not run.group_sizes:
            run.group_sizes.append(len(digits))
        else:
            run.group_sizes[-1] += len(digits)

    def flush_words() -> None:
        for digits, s, e in spell(words):
            add(digits, s, e, True)
        words.clear()

    previous_kind, previous_end = "", -1
    for kind, s, e in tokens(text):
        if kind == "d":
            if words:
                flush_words()
            if run.digits and soft > _MAX_SOFT:
                close()
            add(text[s], s, e, not (previous_kind == "d" and previous_end == s))
            soft = 0
        elif kind == "w":
            word = text[s:e].lower()
            if is_number_word(word):
                if run.digits and soft > _MAX_SOFT and not words:
                    close()
                words.append((word, s, e))
                soft = 0
            elif word in SKIP_WORDS and (run.digits or words):
                soft += 1
            else:
                flush_words()
                close()
        elif kind == "s":
            decimal_point = text[s] == "." and previous_kind == "d" and e < len(text) and text[e].isdecimal()
            # "12.5" ends the run, unless the digits go on in dotted groups ("4111.1111.1111"), follow
            # a cue ("security code is 5.76") or close a long grouped number ("60-11, 1159, 8410, 91.99")
            long_run = len(run.digits) >= 8 and len(run.group_sizes) >= 3
            if decimal_point and not words and not _dotted_chain(text, s) and not _cued(text, run) and not long_run:
                close()
                previous_kind, previous_end = kind, e
                continue
            if words and text[s] in ",.;":
                flush_words()
            soft += 1
        else:
            flush_words()
            close()
        previous_kind, previous_end = kind, e
    flush_words()
    close()
    return runs


def _dotted_chain(text: str, dot: int) -> bool:
    """True when the dot at ``dot`` has another dot between digit groups next to it: "4111.1111.1111",
    or Whisper's pauses, a period and a space, around a decimal-looking group ("on 2.60. 989. 6999")."""
    i = dot - 1
    while i >= 0 and text[i].isdecimal():
        i -= 1
    if i >= 1 and text[i] == " ":  # "989. 2.60"
        i -= 1
    if i >= 1 and text[i] == "." and text[i - 1].isdecimal():
        return True
    j = dot + 1
    while j < len(text) and text[j].isdecimal():
        j += 1
    k = j + 1
    if k + 1 < len(text) and text[k] == " ":  # "2.60. 989"
        k += 1
    return k < len(text) and j < len(text) and text[j] == "." and text[k].isdecimal()


def _cued(text: str, run: _Run) -> bool:
    """True when a cue introduces ``run`` within the same quoted stretch of text."""
    if not run.digits:
        return False
    start = run.positions[0][0]
    low = max(0, start - _CUE_REACH, text.rfind('"', 0, start) + 1)
    return _cue_before(text[low:start], start - low) is not None


def _span(run: _Run, a: int, b: int) -> tuple[int, int]:
    return run.positions[a][0], run.positions[b - 1][1]


def _ssn_possible(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _scan_runs(text: str, runs: list[_Run]) -> list[Finding]:
    found: list[Finding] = []
    for run in runs:
        digits = "".join(run.digits)
        n = len(digits)
        for size in range(13, min(19, n) + 1):
            for a in range(0, n - size + 1):
                # No card number starts with 0 (ISO/IEC 7812 issuer numbers do not).
                if digits[a] != "0" and luhn_valid(digits[a : a + size]):
                    found.append(Finding("card", digits[a : a + size], *_span(run, a, a + size)))
        if n == 9 and _ssn_possible(digits):
            found.append(Finding("ssn", digits, *_span(run, 0, n)))
        offset = 0
        for k in range(len(run.group_sizes) - 2):
            if run.group_sizes[k : k + 3] == [3, 2, 4]:
                a = offset
                found.append(Finding("ssn", digits[a : a + 9], *_span(run, a, a + 9)))
            offset += run.group_sizes[k]
        if 10 <= n <= 15 or (run.after_plus and n >= 7):
            found.append(Finding("phone", digits, *_span(run, 0, n)))
        cue = _cue_before(text, run.positions[0][0])
        if (cue == "cvv" and 3 <= n <= 4) or (cue == "pin" and 4 <= n <= 8) or (cue == "account" and n >= 6) \
                or (cue == "ssn" and 7 <= n <= 11):
            found.append(Finding(cue, digits, *_span(run, 0, n)))
    return found


def _cue_before(text: str, start: int) -> str | None:
    window = text[max(0, start - _CUE_REACH) : start].lower()
    if any(ch.isdecimal() for ch in window):
        window = window[max(i for i, ch in enumerate(window) if ch.isdecimal()) + 1 :]
    best, where = None, -1
    for kind, words in _CUE_WORDS.items():
        for word in words:
            at = window.rfind(word)
            if at > where and (at == 0 or not window[at - 1].isalpha()) and _word_ends(window, at + len(word)):
                best, where = kind, at
    return best


def _word_ends(window: str, end: int) -> bool:
    """True when a cue word ends at ``end``, itself or as a plural ("count numbers", "accounts")."""
    if end < len(window) and window[end] == "s":
        end += 1
    return end == len(window) or not window[end].isalpha()


def _mod97_ok(chars: str) -> bool:
    rearranged = chars[4:] + chars[:4]
    remainder = 0
    for ch in rearranged:
        number = ord(ch) - 48 if ch.isdigit() else ord(ch) - 55
        remainder = (remainder * (100 if number > 9 else 10) + number) % 97
    return remainder == 1


def _ibans(text: str) -> list[Finding]:
    """IBANs written or read out: letters and digits flattened, every country-code window mod-97 tested."""
    found: list[Finding] = []
    chars: list[tuple[str, int, int]] = []

    def test() -> None:
        stream = "".join(c for c, _, _ in chars)
        for a in range(len(stream) - 3):
            if not (stream[a : a + 2].isalpha() and stream[a + 2 : a + 4].isdigit()):
                continue
            sizes = [_IBAN_LENGTH[stream[a : a + 2]]] if stream[a : a + 2] in _IBAN_LENGTH else range(15, 35)
            for size in sizes:
                if a + size <= len(stream) and _mod97_ok(stream[a : a + size]):
                    found.append(Finding("iban", stream[a : a + size], chars[a][1], chars[a + size - 1][2]))
        chars.clear()

    for kind, s, e in tokens(text):
        piece = text[s:e]
        if kind == "d":
            chars.append((piece, s, e))
        elif kind == "w":
            low = piece.lower()
            if low in WORD_DIGIT and piece != "O":  # a capital O alone is the letter
                chars.append((str(WORD_DIGIT[low]), s, e))
            elif len(piece) <= 4 and (piece.isupper() or len(piece) == 1 or chars):
                chars.extend((ch.upper(), s + k, s + k + 1) for k, ch in enumerate(piece))
            else:
                test()
        elif kind == "x":
            test()
    test()
    return found


def _emails(text: str) -> list[Finding]:
    found: list[Finding] = []
    at = text.find("@")
    while at != -1:
        left = at
        while left > 0 and (text[left - 1].isalnum() or text[left - 1] in "._%+-"):
            left -= 1
        right = at + 1
        while right < len(text) and (text[right].isalnum() or text[right] in ".-"):
            right += 1
        domain = text[at + 1 : right].rstrip(".")
        if left < at and "." in domain and domain.rsplit(".", 1)[1].isalpha():
            found.append(Finding("email", text[left:right], left, right))
        at = text.find("@", at + 1)
    return found


def scan(text: str) -> list[Finding]:
    """Every personal number (and e-mail address) in ``text``."""
    found = [*_scan_runs(text, to_digit_runs(text)), *_ibans(text), *_emails(text)]
    return list(dict.fromkeys(found))


def has_card(text: str) -> bool:
    """True when any 13-19 digit window of any digit run of ``text`` passes Luhn."""
    return any(f.kind == "card" for f in _scan_runs(text, to_digit_runs(text)))


def scan_file(path: Path) -> list[Finding]:
    """Every finding in the bytes of ``path`` read as UTF-8 (undecodable bytes dropped)."""
    return scan(path.read_bytes().decode("utf-8", errors="ignore"))

"""A generated corpus of personal numbers in the forms callers say them and Whisper writes them.

Hypothesis draws a kind (card of several brands and lengths, CVV, SSN, IBAN
of several countries, account, phone, e-mail), a fresh number of that kind
with valid check digits (computed here, not by the product), a way of
writing or saying it (grouping, separator, digit words with "oh", "double",
"triple", group words such as "forty one eleven" or "four thousand one
hundred eleven", digits mixed with words) and a banking sentence to put it
in. Each sample also carries the ordinary figures of its sentence, which
redaction must leave alone.

Nothing here imports the redactor or the oracle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = ["Sample", "iban_check_digits", "luhn_digit", "samples", "say_digits", "say_groups"]

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# (brand, prefixes, lengths)
BRANDS = [
    ("visa", ["4"], [13, 16, 19]),
    ("mastercard", ["51", "52", "53", "54", "55", "2221", "2720"], [16]),
    ("amex", ["34", "37"], [15]),
    ("discover", ["6011", "65"], [16, 19]),
    ("diners", ["36", "38"], [14]),
    ("jcb", ["3528", "3589"], [16]),
    ("unionpay", ["62"], [16, 17, 18, 19]),
]
# Countries whose IBAN has no national check beyond mod 97: (code, letters in the BBAN, BBAN length).
IBAN_COUNTRIES = [("GB", 4, 18), ("IE", 4, 18), ("NL", 4, 14), ("DE", 0, 18), ("CH", 0, 17), ("AT", 0, 16),
                  ("FR", 0, 23), ("PL", 0, 24), ("DK", 0, 14), ("FI", 0, 14)]
_HYPHEN_RE = re.compile(rf"\b({'|'.join(TENS[2:])}) ({'|'.join(ONES[1:])})\b")
TEMPLATES = {
    "card": [
        ("My card number is {n}.", []),
        ("Hi, um, my card number is {n}, and I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.",
         ["25,000 dollars", "5 years", "6.5 percent"]),
        ("What can you do? I would pay with my card {n}.", []),
        ("The long number on the front of my Visa is {n}. The payment is $489.15 a month.", ["$489.15"]),
        ("It's {n}, that's the card I lost on the train.", []),
        ("Card {n}. Can I spread $1,995.91 over 48 months?", ["$1,995.91", "48 months"]),
    ],
    "cvv": [
        ("Card number 4111 1111 1111 1111 and the CVV is {n}.", []),
        ("The security code on the back is {n}.", []),
        ("OK, the three digit code is {n}, and I want 25,000 dollars.", ["25,000 dollars"]),
    ],
    "ssn": [
        ("My social security number is {n}.", []),
        ("SSN {n}, and I'd like a mortgage of 300,000 dollars over 5 years.", ["300,000 dollars", "5 years"]),
        ("Sure, my social is {n}.", []),
    ],
    "iban": [
        ("My IBAN is {n}.", []),
        ("Please send the 25,000 dollars to IBAN {n} by Friday.", ["25,000 dollars"]),
    ],
    "account": [
        ("My account number is {n}.", []),
        ("What's the balance on account {n}? I paid $489.15 yesterday.", ["$489.15"]),
        ("The routing number is {n}, over 48 months please.", ["48 months"]),
    ],
    "phone": [
        ("You can call me back on {n}.", []),
        ("My mobile is {n}, and the loan is over 5 years.", ["5 years"]),
    ],
    "email": [
        ("Send the schedule to {n} please.", []),
    ],
}


@dataclass(frozen=True)
class Sample:
    """One sentence, the personal number in it (its digits, or an IBAN's characters) and the figures to keep."""

    kind: str
    value: str
    form: str
    text: str
    keep: tuple[str, ...]


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` + digit pass Luhn."""
    total = 0
    for k, ch in enumerate(reversed(body)):
        d = int(ch) * (1 if k % 2 else 2)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 minus the remainder of BBAN + country + "00" (letters as 10..35) by 97."""
    number = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(number) % 97:02d}"


def _pair_words(pair: str, *, double: bool) -> list[str]:
    """Two digits as a person says them in a group: "41" forty one, "11" eleven, "05" oh five."""
    a, b = int(pair[0]), int(pair[1])
    if a == 0:
        return ["double", "oh"] if b == 0 and double else ["oh", ONES[b] if b else "oh"]
    if a == 1:
        return [TEENS[b]]
    if double and a == b:
        return ["double", ONES[a]]
    return [TENS[a]] if b == 0 else [TENS[a], ONES[b]]


def _thousands_words(group: str) -> list[str] | None:
    """A four-digit group as a number: "4111" four thousand one hundred eleven (None if it starts with 0)."""
    if len(group) != 4 or group[0] == "0":
        return None
    words = [ONES[int(group[0])], "thousand"]
    if group[1] != "0":
        words += [ONES[int(group[1])], "hundred"]
    rest = group[2:]
    if rest != "00":
        words += _pair_words(rest, double=False) if rest[0] != "0" else [ONES[int(rest[1])]]
    return words


def say_digits(digits: str, zero: str = "oh", repeats: bool = False) -> list[str]:
    """Digit by digit, with "double"/"triple" for runs of the same digit when ``repeats``."""
    words: list[str] = []
    i = 0
    while i < len(digits):
        j = i
        while j < len(digits) and digits[j] == digits[i] and j - i < 3:
            j += 1
        word = zero if digits[i] == "0" else ONES[int(digits[i])]
        if repeats and j - i == 3:
            words += ["triple", word]
        elif repeats and j - i == 2:
            words += ["double", word]
        else:
            words += [word] * (j - i)
        i = j
    return words


def say_groups(group: str, style: str) -> list[str]:
    """One group in ``style``: "pairs" (forty one eleven) or "thousands" (four thousand one hundred eleven)."""
    if style == "thousands" and (words := _thousands_words(group)) is not None:
        return words
    chunks = ([group[0]] if len(group) % 2 else []) + [group[k : k + 2] for k in range(len(group) % 2, len(group), 2)]
    out: list[str] = []
    for chunk in chunks:
        out += [ONES[int(chunk)] if chunk != "0" else "oh"] if len(chunk) == 1 else _pair_words(chunk, double=True)
    return out


@st.composite
def _number(draw: st.DrawFn, kind: str) -> tuple[str, list[int]]:
    """A fresh number of ``kind`` and its usual grouping."""
    digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=1)

    def digits(n: int) -> str:
        return "".join(draw(st.lists(digit_strings, min_size=n, max_size=n)))

    if kind == "card":
        _brand, prefixes, lengths = draw(st.sampled_from(BRANDS))
        prefix, length = draw(st.sampled_from(prefixes)), draw(st.sampled_from(lengths))
        body = prefix + digits(length - len(prefix) - 1)
        number = body + luhn_digit(body)
        usual = {15: [4, 6, 5], 14: [4, 6, 4], 13: [4, 4, 5]}.get(length, [4] * (length // 4) + [length % 4])
        return number, [g for g in usual if g]
    if kind == "cvv":
        size = draw(st.sampled_from([3, 4]))
        return digits(size), [size]
    if kind == "ssn":
        area = draw(st.integers(1, 899).filter(lambda a: a != 666))
        group, serial = draw(st.integers(1, 99)), draw(st.integers(1, 9999))
        return f"{area:03d}{group:02d}{serial:04d}", [3, 2, 4]
    if kind == "account":
        size = draw(st.integers(8, 12))
        return str(draw(st.integers(1, 9))) + digits(size - 1), [4] * (size // 4) + ([size % 4] if size % 4 else [])
    if kind == "phone":
        return str(draw(st.integers(2, 9))) + digits(2) + str(draw(st.integers(2, 9))) + digits(6), [3, 3, 4]
    country, letters, size = draw(st.sampled_from(IBAN_COUNTRIES))
    bank = "".join(draw(st.lists(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=letters, max_size=letters)))
    bban = bank + digits(size - letters)
    iban = country + iban_check_digits(country, bban) + bban
    return iban, [4] * (len(iban) // 4) + ([len(iban) % 4] if len(iban) % 4 else [])


def _split(value: str, sizes: list[int]) -> list[str]:
    out, k = [], 0
    for size in sizes:
        if k >= len(value):
            break
        out.append(value[k : k + size])
        k += size
    if k < len(value):
        out.append(value[k:])
    return out


@st.composite
def _render(draw: st.DrawFn, kind: str, value: str, usual: list[int]) -> tuple[str, str]:
    """``value`` written or said: (form name, text)."""
    if kind == "iban":
        groups = _split(value, usual)
        if draw(st.booleans()):
            return "iban written", draw(st.sampled_from([" ", "-", ""])).join(groups)
        spelled = [" ".join(ONES[int(ch)] if ch.isdigit() else ch for ch in g) for g in groups]
        return "iban read out", draw(st.sampled_from([", ", " ", ". "])).join(spelled)
    if kind == "email":
        return "email", value
    grouping = draw(st.sampled_from(["usual", "none", "random"]))
    if grouping == "usual":
        sizes = usual
    elif grouping == "none":
        sizes = [len(value)]
    else:
        sizes = draw(st.lists(st.integers(1, 5), min_size=len(value), max_size=len(value)))
    groups = _split(value, sizes)
    style = draw(st.sampled_from(["digits", "digits", "digit words", "pairs", "thousands", "mixed"]))
    if style == "digits":
        seps = [" ", "-", ", ", ". ", "/", " - ", ",", "\u2013", "\u00a0", ", uh, ", "  "]
        seps += ["."] if len(groups) > 2 else []  # "1234.5678" is a decimal, for the caller too
        sep = draw(st.sampled_from(seps))
        text = sep.join(groups)
        if kind == "phone" and draw(st.booleans()):
            text = f"({groups[0]}) {groups[1]}-{''.join(groups[2:])}" if len(groups) >= 3 else text
        return f"{grouping} digits sep {sep!r}", text
    pause = draw(st.sampled_from([", ", ". "]))
    hyphen = draw(st.booleans())
    spoken: list[str] = []
    for group in groups:
        if style == "digit words":
            words = say_digits(group, zero=draw(st.sampled_from(["oh", "zero", "o"])), repeats=draw(st.booleans()))
        elif style == "mixed" and draw(st.booleans()):
            words = [group]  # digits among the words
        else:
            words = say_groups(group, "thousands" if style == "thousands" else "pairs")
        text = " ".join(words)
        if hyphen:  # "forty-one"
            text = _HYPHEN_RE.sub(r"\1-\2", text)
        spoken.append(text)
    joiner = pause if style != "digit words" else draw(st.sampled_from([pause, " "]))
    return f"{grouping} {style}", joiner.join(spoken)


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    """One generated sentence with one personal number in it."""
    kind = draw(st.sampled_from(["card", "card", "card", "cvv", "ssn", "iban", "account", "phone", "email"]))
    if kind == "email":
        user = draw(st.from_regex(r"[a-z]{2,8}(\.[a-z]{2,8})?", fullmatch=True))
        value = f"{user}@{draw(st.sampled_from(['example.com', 'mail.example.org', 'bank.co.uk']))}"
        form, written = "email", value
    else:
        value, usual = draw(_number(kind))
        form, written = draw(_render(kind, value, usual))
    template, keep = draw(st.sampled_from(TEMPLATES[kind]))
    text = template.format(n=written)
    if draw(st.booleans()):
        text = text[0].lower() + text[1:]
    return Sample(kind, value, form, text, tuple(keep))

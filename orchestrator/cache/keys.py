"""What makes two questions the *same* question: personal data, the slot signature and the topic.

Embeddings say two sentences mean nearly the same thing; they cannot tell
"a loan of 10,000" from "a loan of 100,000". So every question also gets a
*signature*: its figures (amounts, rates, terms, every other number, in
normalised ``Decimal`` form), the currency and product words and whether it
is negated. A hit needs the same signature, whatever the similarity.

A question or answer that carries personal data (a redaction placeholder,
anything ``redact`` would still mask, a name) is never cached and never
answered from the cache: names and account details are not slots.

The *topic* is the bank FAQ a question asks (``dialog/faq.py``), when its
patterns recognise it. An entry keeps its question's topic only when its
reply is that FAQ's own answer, word for word (the rules dialog's answer; an
LLM's free text is not). Against such an entry, a question on another FAQ
never matches ("where is the nearest branch" is not "when are you open",
however close their embeddings), and one on the same FAQ matches from a
lower similarity (``topic_threshold``): the patterns agree on what is asked,
and the answer is the one the dialog would give.
"""

from __future__ import annotations

import re
from decimal import Decimal

from orchestrator.compliance import (
    ACCOUNT_MASK,
    CARD_MASK,
    CVV_MASK,
    EMAIL_MASK,
    IBAN_MASK,
    PHONE_MASK,
    SSN_MASK,
    redact,
)
from orchestrator.dialog import faq as bank_faq
from orchestrator.nlu.numbers import digitize, find_loan_mentions, parse_decimal

__all__ = ["Signature", "faq_topic", "judge", "personal_data", "slot_signature", "verbatim_topic"]

Signature = tuple[str, ...]

_MASKS = (ACCOUNT_MASK, CARD_MASK, CVV_MASK, EMAIL_MASK, IBAN_MASK, PHONE_MASK, SSN_MASK)
_MASK_RE = re.compile("|".join(re.escape(m) for m in _MASKS) + r"|\[[A-Z_]{2,}\]")
# Whoever says their name, or someone else's, is talking about a person, not an FAQ.
_NAME_CUE_RE = re.compile(
    r"(?i)\b(?:my name(?:'s| is)|name(?:'s| is)|call me|this is [a-z]+ speaking|"
    r"(?:mr|mrs|ms|miss|dr|sir|madam)\.?\s+[a-z]+|on behalf of|account holder)\b"
)
_INTRO_RE = re.compile(r"\b(?:I'?m|I am|this is|it'?s)\s+([A-Z][a-z]+)\b")
_SENTENCE_RE = re.compile(r"[.!?]+\s+")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Capitalised words that are not names (speech recognisers capitalise these too).
_NOT_NAMES = frozenset(
    {
        "I", "I'm", "I'd", "I'll", "I've", "OK", "Okay", "Visa", "Mastercard", "Amex", "Apple", "Google", "Pay",
        "PayPal", "Zelle", "Venmo", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December", "Christmas", "Easter", "New", "Year", "Eve", "Day", "Bank", "Holiday", "Holidays", "Internet",
        "Online", "Mobile", "App", "English", "Spanish", "French", "Hello", "Hi", "Hey", "Thanks", "Thank", "Please",
        "Yes", "No", "Euro", "Euros", "Dollar", "Dollars", "Pound", "Pounds", "Sterling", "Fed", "Federal", "Reserve",
        "Mortgage", "Loan", "Card", "Account"
    }
)
# Account-like details: digits next to the words that introduce them.
_ACCOUNT_DETAIL_RE = re.compile(
    r"(?i)\b(?:account|acct|sort code|routing|card|iban|swift|bic|reference|ref|(?:customer|member|policy) "
    r"(?:number|id)|ending(?: in| with)?|last (?:four|4|digits))\b[^.?!\d]{0,20}\d"
)
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_CURRENCY = (
    ("usd", re.compile(r"(?i)\$|\bdollars?\b|\busd\b|\bbucks\b")),
    ("gbp", re.compile(r"(?i)£|\bpounds?\b|\bgbp\b|\bquid\b")),
    ("eur", re.compile(r"(?i)€|\beuros?\b|\beur\b")),
)
_PRODUCTS = (
    ("mortgage", re.compile(r"(?i)\b(?:mortgages?|home loans?|house|property|remortgag\w*)\b")),
    ("car", re.compile(r"(?i)\b(?:car|auto|vehicle)\b")),
    ("card", re.compile(r"(?i)\b(?:credit|debit)\s+cards?\b")),
    ("business", re.compile(r"(?i)\bbusiness\b")),
    ("student", re.compile(r"(?i)\bstudent\b")),
)
_NEGATION_RE = re.compile(r"(?i)\b(?:not|no|never|don'?t|doesn'?t|didn'?t|won'?t|can'?t|cannot|isn'?t|without)\b")


def _dec(value: Decimal) -> str:
    """One spelling per value: 10000, 10000.00 and 1E+4 are all ``10000``."""
    return format(value.normalize(), "f")


def personal_data(text: str) -> str | None:
    """Why ``text`` holds personal data (``"redacted"``, ``"name"``, ``"account"``), or None."""
    if _MASK_RE.search(text) or redact(text) != text:
        return "redacted"
    if _ACCOUNT_DETAIL_RE.search(text):
        return "account"
    if _NAME_CUE_RE.search(text) or any(m.group(1) not in _NOT_NAMES for m in _INTRO_RE.finditer(text)):
        return "name"
    # A capitalised word inside a sentence is a name, unless it is a known non-name.
    for sentence in _SENTENCE_RE.split(text.strip()):
        for word in _WORD_RE.findall(sentence)[1:]:
            if word[0].isupper() and not word.isupper() and word not in _NOT_NAMES and word[:-1] not in _NOT_NAMES:
                return "name"
    return None


def slot_signature(text: str) -> Signature:
    """The figures and distinguishing words of ``text``, sorted; equal signatures or no hit."""
    mentions = find_loan_mentions(text)
    parts = [f"amount={_dec(v)}" for v in mentions.amounts]
    parts += [f"rate={_dec(v)}" for v in mentions.rates]
    parts += [f"term_months={v}" for v in mentions.terms]
    parts += [f"bare={_dec(v)}" for v in mentions.bare]
    parts += [f"bad_term={t.lower()}" for t in mentions.bad_terms]
    if mentions.alternatives:
        parts.append("alternatives")
    # Every number at all, so nothing the loan reader skips (a date, a count) can slip through.
    for raw in _NUMBER_RE.findall(digitize(text).replace(",", "")):
        value = parse_decimal(raw)
        if value is not None:
            parts.append(f"number={_dec(value)}")
    parts += [f"currency={name}" for name, rx in _CURRENCY if rx.search(text)]
    parts += [f"product={name}" for name, rx in _PRODUCTS if rx.search(text)]
    if _NEGATION_RE.search(text):
        parts.append("negated")
    return tuple(sorted(parts))


def faq_topic(text: str) -> str | None:
    """The id of the bank FAQ ``text`` asks, when the FAQ patterns recognise it."""
    faq = bank_faq.match_faq(text)
    return faq.id if faq is not None else None


def verbatim_topic(topic: str | None, reply: str) -> str | None:
    """``topic`` if ``reply`` holds that FAQ's answer word for word, else None."""
    answer = next((faq.answer for faq in bank_faq.FAQS if faq.id == topic), None)
    return topic if answer is not None and answer in reply else None


def judge(
    similarity: float,
    *,
    threshold: float,
    topic_threshold: float,
    signatures: tuple[Signature, Signature],
    topics: tuple[str | None, str | None],
) -> str:
    """``hit``, ``miss``, ``slots_differ`` or ``topic_differs`` for a cached question and a new one."""
    if signatures[0] != signatures[1]:
        return "slots_differ"
    cached, asked = topics
    if cached is not None and asked is not None:
        if cached != asked:
            return "topic_differs"
        return "hit" if similarity >= min(threshold, topic_threshold) else "miss"
    return "hit" if similarity >= threshold else "miss"

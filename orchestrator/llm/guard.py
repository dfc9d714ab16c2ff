"""The figure guard: every figure an LLM says must come, in the same role, from a tool result or the caller.

An LLM phrases answers; the domain computes them. Each figure in a sentence
gets a *role* from its unit and the words around it:

============  =====================================================  ==================
role          how it is recognised                                   value compared
============  =====================================================  ==================
``apr``       a percentage with "APR" / "annual percentage rate"     the number
``rate``      any other percentage ("%", "percent", "per cent")      the number
``payment``   money with "monthly", "payment", "a month", ...        the number
``fee``       money with "fee", "charge", "cost", "commission"       the number
``amount``    any other money ("$", "dollars", ...), or a number     the number
              after "borrow", "total", "interest", "balance"
``term``      a number of years, months, payments, weeks or days     months (years x 12),
                                                                      weeks or days
``date``      a time (9 am, 17:30), a day (15th, March 15), a year   the time or day
``count``     any other number, the integers 0-12 included           the number
============  =====================================================  ==================

A figure is backed when a tool result of that turn holds the same value in
the same role (a percentage said without "APR" may also be the tool's APR),
or when it restates the caller's own value in the same role; the caller can
never back an APR or a fee, which only the bank's figures set. A figure in a
role no tool produced and the caller never said is never spoken. The word
"one" is a figure only with a unit or a cue ("one percent", "the fee is
one"), because English also uses it as a pronoun ("one of them").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from orchestrator.nlu.numbers import digitize

__all__ = ["CALLER_ROLES", "ROLES", "Figure", "Role", "caller_figures", "figures_in", "unbacked_figures"]

Role = Literal["amount", "rate", "apr", "payment", "term", "fee", "date", "count"]
ROLES: tuple[Role, ...] = ("amount", "rate", "apr", "payment", "term", "fee", "date", "count")
# Roles the caller's own words may back; an APR and a fee are the bank's alone.
CALLER_ROLES: frozenset[Role] = frozenset({"amount", "rate", "payment", "term", "date", "count"})

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Not "apr": that is the APR.
_MONTH_WORD = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
               r"jan|feb|mar|jun|jul|aug|sept?|oct|nov|dec)\.?")
_TOKEN_RE = re.compile(
    r"(?<![\w.$£€])(?P<time>\d{1,2}h\d{2})(?![\d])"
    r"|(?<![\w./])(?P<slash>\d{1,4}/\d{1,4}(?:/\d{1,4})?)(?![\w/])"
    r"|(?<![\w.])(?P<cur>[$£€])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<ord>st|nd|rd|th)?"
    r"(?![\d])",
    re.IGNORECASE,
)
_CLOCK_RE = re.compile(r"(?<![\w.])(\d{1,2}):(\d{2})(?!\d)")
_AMPM_RE = re.compile(r"\s*(a\.?m\.?|p\.?m\.?|o'?clock)(?![a-z])", re.IGNORECASE)
_PERCENT_RE = re.compile(r"\s*(?:%|percent\b|per\s*cent\b)", re.IGNORECASE)
_TERM_RE = re.compile(
    r"[\s-]*(?:monthly\s+|working\s+|business\s+|calendar\s+)?"
    r"(years?|yrs?|months?|mos?|weeks?|days?|(?:re)?payments|instal?lments)\b",
    re.IGNORECASE,
)
_MONEY_WORD_RE = re.compile(r"\s*(?:dollars?|bucks|usd|pounds?|gbp|euros?|eur|cents?)\b", re.IGNORECASE)
_MONTH_AFTER_RE = re.compile(rf"\s*(?:of\s+)?({_MONTH_WORD})(?![a-z])", re.IGNORECASE)
_MONTH_BEFORE_RE = re.compile(rf"({_MONTH_WORD})\s*$", re.IGNORECASE)
_INDEX_BEFORE_RE = re.compile(r"\b(?:month|year|payment|period|row|day|week|number|no\.|#)\s*$", re.IGNORECASE)
_RANGE_RE = re.compile(r"\s*(?:to|or|and|through|-|\u2013)\s*(?=[$£€]?\d)", re.IGNORECASE)
_BOUNDARY_RE = re.compile(r"[.!?](?=\s|$)|[;:](?!\d)")  # not the point of $489.15

_APR_CUE = re.compile(r"\bapr\b|\ba\.p\.r\b|annual percentage rate", re.IGNORECASE)
_RATE_CUE = re.compile(r"\b(?:interest\s+)?rate\b|\binterest\s+(?:of|at|is)\b", re.IGNORECASE)
_AMOUNT_CUE = re.compile(r"\b(?:total|interest|repay\w*|borrow\w*|principal|balance|loan of|lend\w*|limit)\b",
                         re.IGNORECASE)
_FEE_CUE = re.compile(r"\b(?:fees?|charges?|charged|costs?|costing|commission|penalt(?:y|ies))\b", re.IGNORECASE)
_PAY_CUE = re.compile(r"\b(?:payments?|instal?lments?|monthly|per month|a month|each month|every month|budget)\b",
                      re.IGNORECASE)
_PER_MONTH_AFTER = re.compile(r"\s*(?:a|per|each|every)\s+month\b|\s*monthly\b|\s*/\s*(?:mo|month)\b", re.IGNORECASE)
_FEE_AFTER = re.compile(r"\s*(?:monthly\s+|annual\s+|transfer\s+)?(?:fee|charge)s?\b", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(r"\s*(?:in total|in interest|of interest|total)\b", re.IGNORECASE)
_APR_AFTER = re.compile(r"\s*(?:apr\b|a\.p\.r)", re.IGNORECASE)

# "one" as a pronoun or article is not a figure; with a unit after it or a cue before it, it is.
_ONE_RE = re.compile(r"(?<![\w-])one(?![\w-])", re.IGNORECASE)
_ONE_UNIT_AFTER = re.compile(
    r"\s*(?:-|hundred|thousand|million|billion|point|and a half|percent|per\s*cent|%|dollars?|bucks|pounds?|"
    r"euros?|cents?|years?|months?|weeks?|days?|payments?|instal?lments?|a\.?m\.?|p\.?m\.?|o'?clock|to|or)\b",
    re.IGNORECASE,
)
_ONE_CUE_BEFORE = re.compile(
    r"(?:\b(?:apr|rate|interest|fees?|charges?|costs?|payments?|total|of|is|at|be|was|were|pay|about|only|just|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million)|[$£€\d])[\s-]*$",
    re.IGNORECASE,
)
_PRONOUN_AFTER = re.compile(r"\s+(?:of|another|moment|more|thing|way|sec(?:ond)?)\b", re.IGNORECASE)
_PRONOUN_BEFORE = re.compile(r"\b(?:no|any|every|each|which|the|this|that|some|someone|a|the only|last)\s+$",
                             re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: its role, its value in a comparable form, and the words it was said in."""

    role: Role
    value: str
    said: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What two figures must share to back each other."""
        return self.role, self.value

    @classmethod
    def of(cls, role: Role, value: object, *, unit: str = "months") -> Figure | None:
        """A figure from a tool's field (None if ``value`` is not a number): terms in ``unit``."""
        number = _decimal(value)
        if number is None:
            return None
        if role == "term":
            return cls(role, _term_value(number, unit), str(value))
        return cls(role, _plain(number), str(value))

    def __str__(self) -> str:
        return self.said or self.value


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _term_value(number: Decimal, unit: str) -> str:
    unit = unit.lower()
    if unit.startswith(("y", "yr")):
        return "m" + _plain(number * 12)
    if unit.startswith("w"):
        return "w" + _plain(number)
    if unit.startswith("d"):
        return "d" + _plain(number)
    return "m" + _plain(number)  # months, payments, instalments


def _protect_ones(text: str) -> str:
    """Mark each "one" that is not a figure so ``digitize`` leaves it a word."""

    def keep(match: re.Match[str]) -> str:
        before, after = text[max(0, match.start() - 30): match.start()], text[match.end(): match.end() + 30]
        figure = _ONE_UNIT_AFTER.match(after) or _ONE_CUE_BEFORE.search(before)
        pronoun = _PRONOUN_AFTER.match(after) or _PRONOUN_BEFORE.search(before[-12:])
        if figure and not pronoun:
            return match.group(0)
        return match.group(0) + "_"

    return _ONE_RE.sub(keep, text)


def _clock(hours: Decimal, minutes: int, suffix: str) -> str:
    hour = int(hours)
    suffix = suffix.lower().replace(".", "")
    if suffix.startswith("p") and hour < 12:
        hour += 12
    elif suffix.startswith("a") and hour == 12:
        hour = 0
    return f"{hour:02d}:{minutes:02d}"


def _window_before(text: str, start: int) -> str:
    """The words before a figure, back to the clause's start (at most 60 characters)."""
    before = text[max(0, start - 60): start]
    cut = max((m.end() for m in _BOUNDARY_RE.finditer(before)), default=0)
    return before[cut:]


def _nearest(before: str, cues: tuple[tuple[re.Pattern[str], Role], ...]) -> Role | None:
    """The role of the cue that ends closest to the figure (the first listed wins a tie)."""
    best: tuple[int, int, Role] | None = None
    for rank, (pattern, role) in enumerate(cues):
        for match in pattern.finditer(before):
            candidate = (match.end(), -rank, role)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best is not None else None


def figures_in(text: str) -> list[Figure]:
    """Every figure in ``text`` (spoken numbers included) with its role, in order."""
    # "17:30" becomes "17h30" first: digitize would read it as two numbers.
    norm = digitize(_protect_ones(_CLOCK_RE.sub(r"\1h\2", text)))
    found: list[Figure] = []
    previous_end = 0
    pending_range: list[int] = []  # unit-less figures before "to"/"or" that take the next figure's unit
    for match in _TOKEN_RE.finditer(norm):
        if match.start() < previous_end:
            continue
        figure, end = _classify(norm, match, previous_end)
        if figure.role == "count" and _RANGE_RE.match(norm, end) is not None:
            pending_range.append(len(found))
        elif pending_range and figure.role in ("rate", "apr", "term", "amount", "fee", "payment"):
            for index in pending_range:
                if figure.role == "term":
                    unit = {"m": "months", "w": "weeks", "d": "days"}[figure.value[0]]
                    number = _decimal(found[index].value)
                    value = _term_value(number, unit) if number is not None else found[index].value
                else:
                    value = found[index].value
                found[index] = Figure(figure.role, value, found[index].said)
            pending_range = []
        else:
            pending_range = []
        found.append(figure)
        previous_end = end
    return found


def _classify(text: str, match: re.Match[str], previous_end: int) -> tuple[Figure, int]:
    """The role and value of the token ``match``, and where its unit ends."""
    said, end = match.group(0).strip(), match.end()
    after = text[end: end + 40]
    before = _window_before(text, match.start())
    if match.group("time"):
        hours, minutes = match.group("time").lower().split("h")
        ampm = _AMPM_RE.match(after)
        suffix = ampm.group(1) if ampm else ""
        end += ampm.end() if ampm else 0
        return Figure("date", _clock(Decimal(hours), int(minutes), suffix), said), end
    if match.group("slash"):
        return Figure("date", match.group("slash"), said), end
    number = _decimal(match.group("num"))
    if number is None:  # pragma: no cover - the pattern only matches digits
        return Figure("count", match.group("num"), said), end
    currency = bool(match.group("cur"))
    if not currency and (ampm := _AMPM_RE.match(after)) and number <= 12:
        return Figure("date", _clock(number, 0, ampm.group(1)), said + ampm.group(0)), end + ampm.end()
    year = number == number.to_integral_value() and 1900 <= number <= 2199 and "," not in said
    if not currency and not match.group("ord") and year:
        return Figure("date", f"year {_plain(number)}", said), end
    if match.group("ord") or _MONTH_BEFORE_RE.search(before) or (not currency and _MONTH_AFTER_RE.match(after)):
        month = _MONTH_BEFORE_RE.search(before) or _MONTH_AFTER_RE.match(after)
        day = f"day {_plain(number)}"
        if month is not None:
            day = f"{_MONTHS.index(month.group(1).lower()[:3])+1:02d}-{int(number):02d}"
        return Figure("date", day, said), end
    if percent := _PERCENT_RE.match(after):
        cue = "apr" if _APR_AFTER.match(after[percent.end():]) else _nearest(before, _PERCENT_CUES)
        role: Role = "apr" if cue == "apr" else "rate"
        return Figure(role, _plain(number), said + percent.group(0)), end + percent.end()
    if not currency and (term := _TERM_RE.match(after)):
        return Figure("term", _term_value(number, term.group(1)), said + term.group(0)), end + term.end()
    money_word = _MONEY_WORD_RE.match(after)
    if currency or money_word:
        if money_word:
            said += money_word.group(0)
            end += money_word.end()
            after = text[end: end + 40]
        return Figure(_money_role(before, after), _plain(number), said), end
    if _INDEX_BEFORE_RE.search(before):
        return Figure("count", _plain(number), said), end
    # A bare number takes a cue only from its own words, not from the figure before it.
    own = before[max(0, len(before) - (match.start() - previous_end)):]
    return Figure(_bare_role(own), _plain(number), said), end


_PERCENT_CUES: tuple[tuple[re.Pattern[str], Role], ...] = ((_APR_CUE, "apr"), (_RATE_CUE, "rate"))
_MONEY_CUES: tuple[tuple[re.Pattern[str], Role], ...] = (
    (_AMOUNT_CUE, "amount"), (_FEE_CUE, "fee"), (_PAY_CUE, "payment"),
)
_BARE_CUES = _PERCENT_CUES + _MONEY_CUES


def _money_role(before: str, after: str) -> Role:
    if _PER_MONTH_AFTER.match(after):
        return "payment"
    if _AMOUNT_AFTER.match(after):
        return "amount"
    if _FEE_AFTER.match(after):
        return "fee"
    return _nearest(before, _MONEY_CUES) or "amount"


def _bare_role(before: str) -> Role:
    """A number with no unit: the role of a cue just before it ("the rate is 6.5"), else a count."""
    return _nearest(before[-30:], _BARE_CUES) or "count"


_SLOT_ROLES: dict[str, Role] = {"principal": "amount", "rate_percent": "rate", "term_months": "term"}


def caller_figures(user_text: str, slots: Mapping[str, Any] | None = None) -> list[Figure]:
    """The caller's own values: the figures in their words (in their roles) and the loan slots the dialog read."""
    own = [f for f in figures_in(user_text) if f.role in CALLER_ROLES]
    read = [Figure.of(role, (slots or {}).get(name)) for name, role in _SLOT_ROLES.items()]
    return own + [f for f in read if f is not None]


def unbacked_figures(reply: str, tool_figures: Iterable[Figure], caller: Iterable[Figure] = ()) -> list[Figure]:
    """Figures in ``reply`` that neither a tool result nor the caller's own words back in the same role."""
    tools = {f.key for f in tool_figures}
    own = {f.key for f in caller if f.role in CALLER_ROLES}
    unbacked = []
    for figure in figures_in(reply):
        if figure.key in tools or figure.key in own:
            continue
        if figure.role == "rate" and ("apr", figure.value) in tools:
            continue  # "at 6.50%" may be the APR the tool computed
        unbacked.append(figure)
    return unbacked

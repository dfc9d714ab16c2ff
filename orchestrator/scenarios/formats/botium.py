"""Botium ``.convo.txt`` files into scenarios.

The format (BotiumScript, text files): the first line is the convo's name,
the lines up to the first section its description; ``#me`` sections are the
user's messages and ``#bot`` sections the bot's expected answers. A ``#bot``
text line is matched as Botium's default matching mode does
(``wildcardIgnoreCase``: a case-insensitive substring, ``*`` a wildcard),
which is our ``contains`` (or a regex when it has a ``*``); a line starting
with ``!`` must not match. Other lines are asserters (``INTENT name``,
``TEXT_CONTAINS_ANY a|b``, with ``!`` to negate and ``?`` for optional) or
logic hooks (``PAUSE 500``). A single upper-case word in ``#me`` names an
utterance list (``NAME.utterances.txt`` next to the convo).

What maps: the messages, ``INTENT``, the text asserters. What does not
(buttons, media, entities, logic hooks, ``#begin``/``#end``/``#include``,
optional steps, a bot that speaks first) is listed, never dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from orchestrator.scenarios.formats.common import Conversion, scenario_name
from orchestrator.scenarios.loader import read_text

__all__ = ["import_botium", "parse_args", "wildcard_regex"]

SECTIONS = ("me", "bot", "begin", "end", "include")
# Botium's own asserters and logic hooks (botium-core LogicHookConsts): known, even where we cannot map them.
TEXT_ASSERTERS = re.compile(
    r"^TEXT(?:_(?:CONTAINS|REGEXP|WILDCARD|WILDCARDEXACT|EQUALS)_(?:ANY|ALL)|_EQUALS)?(?:_IC)?$"
)
OTHER_ASSERTERS = {
    "BUTTONS", "BUTTONS_COUNT", "BUTTONS_COUNT_REC", "MEDIA", "MEDIA_COUNT", "MEDIA_COUNT_REC", "CARDS",
    "CARDS_COUNT", "CARDS_COUNT_REC", "PAUSE_ASSERTER", "JSON_PATH", "JSON_PATH_COUNT", "RESPONSE_LENGTH",
    "FORMS", "ENTITIES", "ENTITY_VALUES", "ENTITY_CONTENT", "INTENT_UNIQUE", "INTENT_CONFIDENCE", "TEXT_WER",
    "BOT_CONSUMED", "BOT_UNCONSUMED_COUNT",
}
LOGIC_HOOKS = {
    "PAUSE", "WAITFORBOT", "SET_SCRIPTING_MEMORY", "CLEAR_SCRIPTING_MEMORY", "ASSIGN_SCRIPTING_MEMORY",
    "UPDATE_CUSTOM", "SKIP_BOT_UNCONSUMED", "INCLUDE", "CONDITIONAL_STEP_TIME_BASED",
    "CONDITIONAL_STEP_BUSINESS_HOURS", "CONDITIONAL_STEP_CAPABILITY_VALUE_BASED",
    "CONDITIONAL_STEP_JSON_PATH_BASED", "CONVO_STEP_PARAMETERS", "ORDERED_LIST_TO_BUTTON",
    "BUTTON", "FORM",  # user inputs
}
_UTTERANCE_REF = re.compile(r"^[A-Z][A-Z0-9_]*$")


def parse_args(text: str) -> list[str]:
    """``a|b\\|c`` -> ["a", "b|c"] (Botium's argument list)."""
    return [part.replace("\x00", "|").strip() for part in text.replace("\\|", "\x00").split("|")]


def wildcard_regex(text: str, *, ignore_case: bool = True) -> str:
    """A Botium wildcard (``*`` for anything) as a regex."""
    body = ".*".join(re.escape(part) for part in text.split("*"))
    return f"(?i){body}" if ignore_case else body


def _sections(lines: list[str]) -> tuple[list[str], list[tuple[str, int, list[str]]]]:
    header: list[str] = []
    sections: list[tuple[str, int, list[str]]] = []
    for number, line in enumerate(lines, 1):
        tag = line.strip()
        if tag.startswith("#") and tag[1:].split(" ")[0] in SECTIONS:
            sections.append((tag[1:].split(" ")[0], number, []))
        elif sections:
            sections[-1][2].append(line)
        else:
            header.append(line)
    return header, sections


def _utterance(path: Path, name: str, out: Conversion, where: str) -> str | None:
    """The first utterance of the list ``name`` in a ``.utterances.txt`` beside the convo (the rest are listed)."""
    for candidate in sorted(path.parent.glob("*.utterances.txt")):
        lines = [ln.strip() for ln in read_text(candidate).splitlines() if ln.strip()]
        if lines and lines[0] == name and len(lines) > 1:
            if len(lines) > 2:
                out.note(where, f"utterances {name}", f"only the first of {len(lines) - 1} is played",
                         approximated=True)
            return lines[1]
    return None  # no such list: Botium sends the word itself


def _bot(lines: list[str], expect: dict[str, Any], out: Conversion, where: str) -> None:
    texts: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        optional, line = line.startswith("?") and not line.startswith("??"), line.removeprefix("?")
        negated, body = line.startswith("!") and not line.startswith("!!"), line.removeprefix("!")
        name, _, rest = body.partition(" ")
        if optional:
            out.note(where, raw.strip(), "optional bot steps have no equivalent")
        elif name == "INTENT" and not negated:
            expect["intent"] = rest.strip()
        elif TEXT_ASSERTERS.match(name):
            _text_asserter(name, parse_args(rest), negated, expect, out, where)
        elif name in OTHER_ASSERTERS or name in LOGIC_HOOKS or name == "INTENT":
            out.note(where, raw.strip(), f"{'!' if negated else ''}{name} has no equivalent here")
        elif negated:
            expect.setdefault("not_contains", []).append(body)
        else:
            texts.append(line)
    if texts:
        text = " ".join(texts)
        if "*" in text:
            expect.setdefault("regex", []).append(wildcard_regex(text))
        else:
            expect.setdefault("contains", []).append(text)


def _text_asserter(
    name: str, args: list[str], negated: bool, expect: dict[str, Any], out: Conversion, where: str
) -> None:
    ignore = "(?i)" if name.endswith("_IC") else ""
    kind = name.removesuffix("_IC")
    any_of = kind.endswith("_ANY") or kind in ("TEXT", "TEXT_EQUALS")
    if kind in ("TEXT_CONTAINS_ANY", "TEXT_CONTAINS_ALL") and (negated or kind.endswith("ALL")):
        key = "not_contains" if negated else "contains"
        if negated and kind.endswith("ALL"):
            out.note(where, f"!{name}", "'not all of' has no equivalent here")
            return
        expect.setdefault(key, []).extend(args)
        if not ignore:
            out.note(where, name, "compared ignoring case", approximated=True)
        return
    if negated:
        out.note(where, f"!{name}", "only a negated TEXT_CONTAINS_ANY maps (to not_contains)")
        return
    if kind.startswith("TEXT_REGEXP"):
        patterns = args
    elif kind.startswith("TEXT_WILDCARD"):
        exact = kind.startswith("TEXT_WILDCARDEXACT")
        patterns = [(f"^{wildcard_regex(a, ignore_case=False)}$" if exact else wildcard_regex(a, ignore_case=False))
                    for a in args]
    elif kind in ("TEXT", "TEXT_EQUALS"):
        patterns = [f"^{re.escape(a)}$" for a in args]
        out.note(where, name, "the whole reply must equal it, disclosure included", approximated=True)
    else:
        patterns = [re.escape(a) for a in args]
    if any_of:
        patterns = ["|".join(f"(?:{p})" for p in patterns)]
    expect.setdefault("regex", []).extend(f"{ignore}{p}" for p in patterns)


def import_botium(path: Path) -> Conversion:
    """One scenario from one ``.convo.txt`` (Botium holds one convo per file)."""
    out = Conversion()
    header, sections = _sections(read_text(path).removeprefix("\ufeff").splitlines())  # a Windows BOM
    named = [ln.strip() for ln in header if ln.strip()]
    turns: list[dict[str, Any]] = []
    for kind, line, body in sections:
        where = f"{path.name}:{line}"
        if kind == "me":
            _me(path, body, turns, out, where)
        elif kind == "bot":
            if not turns:
                out.note(where, "#bot before any #me", "this bot answers only when spoken to")
                continue
            if turns[-1].get("_answered"):
                out.note(where, "a second #bot after one #me", "our bot's reply is one message: both are checked "
                         "on it", approximated=True)
            turns[-1]["_answered"] = True
            _bot(body, turns[-1].setdefault("expect", {}), out, where)
        else:
            out.note(where, f"#{kind} section", "logic hooks have no equivalent here")
    for turn in turns:
        turn.pop("_answered", None)
        if not turn.get("expect"):
            turn.pop("expect", None)
    scenario: dict[str, Any] = {"name": scenario_name(named[0] if named else "", path.name.split(".")[0])}
    if len(named) > 1:
        scenario["description"] = " ".join(named[1:])
    scenario.update(tags=["imported", "botium"], turns=turns)
    out.add(scenario, path.name)
    return out


def _me(path: Path, body: list[str], turns: list[dict[str, Any]], out: Conversion, where: str) -> None:
    texts: list[str] = []
    for raw in body:
        line = raw.strip()
        name = line.split(" ")[0]
        if not line:
            continue
        if name in LOGIC_HOOKS:
            out.note(where, line, f"{name} has no equivalent here")
        else:
            texts.append(line)
    text = " ".join(texts)
    if _UTTERANCE_REF.match(text):
        text = _utterance(path, text, out, where) or text
    if not text:
        out.note(where, "#me without text", "nothing to say")
        return
    turns.append({"user": text})

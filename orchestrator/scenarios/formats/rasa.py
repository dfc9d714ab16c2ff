"""Rasa Pro end-to-end test files (``e2e_test_cases.yml``) into scenarios, one per test case.

The format: ``test_cases`` is a list of ``{test_case: name, steps: [...]}``;
a step is ``user: text`` (with optional ``assertions``), ``bot: text`` (the
exact text of one bot message), ``utter: response_name``, or
``slot_was_set`` / ``slot_was_not_set`` (slot names, or ``{name: value}``).
Assertions (Rasa 3.10+) are single-key mappings: ``flow_started``,
``action_executed``, ``slot_was_set: [{name, value}]``, ``bot_uttered:
{text_matches | utter_name}``, ``bot_did_not_utter``,
``generative_response_is_relevant`` / ``_grounded`` and a few more.

What maps: user steps; ``bot`` as ``contains`` (our reply is one message, so
Rasa's exact match of one message becomes a substring); ``utter`` and
``utter_name`` when the response name is one of the dialog's phrases
(``utter_greeting``, ``utter_ask_principal``); slot values for our slots;
``flow_started`` of one of our intents; ``action_executed`` of one of our
tools; ``text_matches`` as ``regex``; the generative-response assertions as a
``judge`` rubric. Fixtures, metadata, slots set to any value, flows we do not
have and buttons are listed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from orchestrator.dialog.slots import SLOTS
from orchestrator.scenarios.coverage import universe
from orchestrator.scenarios.formats.common import Conversion, phrase_for_utter, scenario_name
from orchestrator.scenarios.loader import ScenarioError, read_yaml

__all__ = ["import_rasa"]

TOOLS = ("loan_quote", "loan_schedule", "bank_faq", "affordability")
_REGEX_META = re.compile(r"[\\^$.|?*+()\[\]{}]")


class _Case:
    """One test case being converted."""

    def __init__(self, name: str, where: str, out: Conversion) -> None:
        self.name, self.where, self.out = name, where, out
        self.turns: list[dict[str, Any]] = []

    def expect(self, what: str) -> dict[str, Any] | None:
        if not self.turns:
            self.out.note(self.where, what, "before any user step: this bot answers only when spoken to")
            return None
        return self.turns[-1].setdefault("expect", {})

    def note(self, what: str, why: str, *, approximated: bool = False) -> None:
        self.out.note(self.where, what, why, approximated=approximated)


def _slots(case: _Case, entries: Any, what: str) -> None:
    expect = case.expect(what)
    if expect is None:
        return
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and "name" in entry:  # the assertion form: {name, value}
            name, value, has_value = entry["name"], entry.get("value"), "value" in entry
        elif isinstance(entry, dict) and len(entry) == 1:
            (name, value), has_value = next(iter(entry.items())), True
        else:
            name, value, has_value = entry, None, False
        if name not in SLOTS:
            case.note(f"{what} {name}", f"not a slot of this bot ({', '.join(SLOTS)})")
        elif not has_value:
            case.note(f"{what} {name}", "a slot set to any value has no equivalent (give its value)")
        else:
            expect.setdefault("slots", {})[str(name)] = value


def _utter(case: _Case, name: str, *, negated: bool = False) -> None:
    phrase = phrase_for_utter(name)
    if phrase is None:
        case.note(f"utter {name}", "not one of this dialog's phrases (dialog/phrases.py)")
        return
    expect = case.expect(f"utter {name}")
    if expect is not None:
        expect.setdefault("not_contains" if negated else "contains", []).append(phrase)


def _assertion(case: _Case, assertion: Any) -> None:
    if not isinstance(assertion, dict) or len(assertion) != 1:
        case.note(f"assertion {assertion!r}", "not a single-key assertion")
        return
    kind, body = next(iter(assertion.items()))
    expect = case.expect(str(kind))
    if expect is None:
        return
    if kind == "flow_started" and body in universe()["intents"]:
        expect["intent"] = body
    elif kind == "action_executed" and body in TOOLS:
        expect.setdefault("tool_calls", []).append({"name": body})
    elif kind == "slot_was_set":
        _slots(case, body, "slot_was_set")
    elif kind in ("bot_uttered", "bot_did_not_utter") and isinstance(body, dict):
        negated = kind == "bot_did_not_utter"
        for key, value in body.items():
            if key == "utter_name":
                _utter(case, str(value), negated=negated)
            elif key == "text_matches" and not negated:
                expect.setdefault("regex", []).append(str(value))
            elif key == "text_matches" and not _REGEX_META.search(str(value)):
                expect.setdefault("not_contains", []).append(str(value))
            else:
                case.note(f"{kind}.{key}", "no equivalent here")
    elif kind in ("generative_response_is_relevant", "generative_response_is_grounded") and isinstance(body, dict):
        rubric = ("The bot's reply is relevant to the caller's last message." if kind.endswith("relevant") else
                  "The bot's reply states only facts the bank's information supports"
                  + (f": {body['ground_truth']}" if body.get("ground_truth") else "."))
        expect["judge"] = f"{expect['judge']} {rubric}" if expect.get("judge") else rubric
        case.note(kind, f"judged pass/fail by the configured LLM, not scored against threshold "
                  f"{body.get('threshold')}", approximated=True)
    else:
        case.note(f"{kind}: {body!r}", "no equivalent here (flows, patterns and slot absence are Rasa's own)")


def _step(case: _Case, step: Any) -> None:
    if not isinstance(step, dict):
        case.note(f"step {step!r}", "not a mapping")
        return
    if "user" in step:
        case.turns.append({"user": str(step["user"])})
        for assertion in step.get("assertions") or []:
            _assertion(case, assertion)
        for key in sorted(set(step) - {"user", "assertions"}):
            case.note(f"user step {key}", "no equivalent here")
    elif "bot" in step:
        expect = case.expect("bot")
        if expect is not None:
            expect.setdefault("contains", []).append(str(step["bot"]).strip())
            case.note("bot", "exact text of one message, checked as part of our one reply", approximated=True)
    elif "utter" in step:
        _utter(case, str(step["utter"]))
    elif "slot_was_set" in step:
        _slots(case, step["slot_was_set"], "slot_was_set")
    else:
        case.note(f"step {', '.join(map(str, step))}", "no equivalent here")


def import_rasa(path: Path) -> Conversion:
    """One scenario per test case of an ``e2e_test_cases.yml`` file."""
    data, _ = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("test_cases"), list):
        raise ScenarioError(f"{path}: not a Rasa end-to-end test file (no 'test_cases' list)")
    out = Conversion()
    for key in ("fixtures", "metadata"):
        if data.get(key):
            out.note(path.name, key, "Rasa's preset slots and metadata have no equivalent here")
    for number, item in enumerate(data["test_cases"], 1):
        if not isinstance(item, dict):
            out.note(f"{path.name} test case {number}", repr(item), "not a mapping")
            continue
        raw_name = str(item.get("test_case") or f"test case {number}")
        case = _Case(raw_name, f"{path.name} {raw_name}", out)
        for key in ("fixtures", "metadata"):
            if item.get(key):
                case.note(key, "Rasa's preset slots and metadata have no equivalent here")
        for step in item.get("steps") or []:
            _step(case, step)
        scenario = {"name": scenario_name(raw_name.replace("_", " "), f"test case {number}"),
                    "tags": ["imported", "rasa"], "turns": case.turns}
        out.add(scenario, case.where)
    return out

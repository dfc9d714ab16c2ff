"""Scenarios out to Botium ``.convo.txt`` files (``voicebot scenarios export --to botium``).

Each typed (or spoken) turn becomes a ``#me`` section and its expectations a
``#bot`` section: ``contains`` as ``TEXT_CONTAINS_ALL_IC``, ``not_contains`` as
``!TEXT_CONTAINS_ANY_IC``, ``regex`` as ``TEXT_REGEXP_ALL`` (``_IC`` for a
leading ``(?i)``), ``intent`` as ``INTENT``. Every ``#me`` gets a ``#bot``,
empty if need be, so each reply is consumed in step. Everything else (slots,
state, figures, latency, tool calls, judges, goals, compliance, audio files)
has no Botium equivalent and is listed.
"""

from __future__ import annotations

from typing import Any

from orchestrator.scenarios.formats.common import Conversion
from orchestrator.scenarios.loader import LoadedScenario

__all__ = ["export_botium"]

_MAPPED = {"contains", "not_contains", "regex", "intent"}


def _args(values: list[str]) -> str:
    return "|".join(v.replace("|", "\\|") for v in values)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _bot_lines(expect: dict[str, Any], out: Conversion, where: str) -> list[str]:
    lines: list[str] = []
    if expect.get("intent"):
        lines.append(f"INTENT {expect['intent']}")
    if expect.get("contains"):
        lines.append(f"TEXT_CONTAINS_ALL_IC {_args([_one_line(t) for t in expect['contains']])}")
    if expect.get("not_contains"):
        lines.append(f"!TEXT_CONTAINS_ANY_IC {_args([_one_line(t) for t in expect['not_contains']])}")
    for pattern in expect.get("regex", []):
        if pattern.startswith("(?i)"):
            lines.append(f"TEXT_REGEXP_ALL_IC {_args([pattern[4:]])}")
        else:
            lines.append(f"TEXT_REGEXP_ALL {_args([pattern])}")
        out.note(where, f"regex {pattern!r}", "a Python regex, written as is for JavaScript", approximated=True)
    for key, value in expect.items():
        if key not in _MAPPED and value not in (None, [], {}, False):
            out.note(where, f"expect.{key}", "Botium has no equivalent")
    return lines


def export_botium(loaded: LoadedScenario) -> tuple[str, Conversion]:
    """The convo text of one scenario, and what it could not carry."""
    scenario = loaded.scenario
    out = Conversion()
    where = str(loaded.path)
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for key in ("settings", "gates", "goal", "compliance"):
        if key in data:
            out.note(where, key, "Botium has no equivalent")
    text = [_one_line(scenario.name)]
    if scenario.description:
        text.append(_one_line(scenario.description))
    for index, turn in enumerate(scenario.turns):
        turn_where = f"{where} turn {index + 1}"
        said = turn.user if turn.user is not None else turn.say
        if said is None:
            if not turn.reference:
                out.note(turn_where, f"audio {turn.audio}", "an audio turn with no reference text cannot be typed")
                continue
            said = turn.reference
            out.note(turn_where, f"audio {turn.audio}", "typed as its reference text", approximated=True)
        elif turn.say is not None:
            out.note(turn_where, "say", "typed instead of spoken", approximated=True)
        if turn.compliance is not None:
            out.note(turn_where, "compliance", "Botium has no equivalent")
        expect = turn.expect.model_dump(mode="json", exclude_defaults=True)
        text += ["", "#me", _one_line(said), "", "#bot", *_bot_lines(expect, out, turn_where)]
    return "\n".join(text) + "\n", out

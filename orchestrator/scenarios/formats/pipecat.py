"""Pipecat eval scenarios (``pipecat eval`` YAML) into scenarios.

The format (``pipecat/evals/scenario.py``): ``name``, ``turns: [{user, expect:
[{event, text_contains, eval, calls, within_ms, absent}]}]``, optional ``dtmf``,
``send_after`` and ``image`` per turn, and top-level ``user`` (``modality:
audio`` speaks the turns), ``judge`` (the judge LLM), ``context`` and
``stop_on_failure``. Any value may be ``!include file.yaml`` from the
scenario's folder.

What maps: user turns (spoken ones as ``say``); ``response`` /
``llm_response`` / ``tts_response`` with ``text_contains`` (``contains``),
``eval`` (``judge``) and ``within_ms`` (a latency budget); ``function_call``
with ``calls`` (``tool_calls``) and ``absent: true`` (``no_tool_calls``).
What does not (DTMF, timed sends, images, observation-only turns, VAD and
transcription events, the judge's own model) is listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.scenarios.formats.common import Conversion, scenario_name
from orchestrator.scenarios.loader import ScenarioError, YamlLoader, read_yaml

__all__ = ["import_pipecat"]

RESPONSE_EVENTS = {"response": "total", "llm_response": "dialog", "tts_response": "tts_first_audio"}
MAX_INCLUDE_DEPTH = 4


class _Include:
    """An ``!include`` found while loading; resolved afterwards, inside the scenario's folder only."""

    def __init__(self, name: str) -> None:
        self.name = name


class _PipecatLoader(YamlLoader):
    """Our safe loader, plus Pipecat's ``!include``."""


_PipecatLoader.add_constructor("!include", lambda loader, node: _Include(str(loader.construct_scalar(node))))


def _resolve(value: Any, base: Path, depth: int = 0) -> Any:
    if isinstance(value, _Include):
        target = (base / value.name).resolve()
        if Path(value.name).is_absolute() or not target.is_relative_to(base.resolve()):
            raise ScenarioError(f"!include {value.name!r} leaves the scenario's folder")
        if depth >= MAX_INCLUDE_DEPTH:
            raise ScenarioError(f"!include {value.name!r}: includes nested more than {MAX_INCLUDE_DEPTH} deep")
        data, _ = read_yaml(target, _PipecatLoader)
        return _resolve(data, base, depth + 1)
    if isinstance(value, dict):
        return {k: _resolve(v, base, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, base, depth) for v in value]
    return value


def _expectation(item: Any, expect: dict[str, Any], out: Conversion, where: str) -> None:
    if not isinstance(item, dict) or "event" not in item:
        out.note(where, repr(item), "an expectation needs an event")
        return
    event = str(item["event"])
    extra = set(item) - {"event"}
    if event in RESPONSE_EVENTS and not item.get("absent"):
        if "text_contains" in item:
            expect.setdefault("contains", []).append(str(item["text_contains"]))
        if "eval" in item:
            expect["judge"] = f"{expect['judge']} Also: {item['eval']}" if expect.get("judge") else str(item["eval"])
        if "within_ms" in item:
            stage = RESPONSE_EVENTS[event]
            expect.setdefault("latency_ms", {})[stage] = float(item["within_ms"])
            out.note(where, f"{event} within_ms", f"budget on our {stage} stage, not from Pipecat's anchor event",
                     approximated=True)
        extra -= {"text_contains", "eval", "within_ms"}
    elif event == "function_call" and item.get("absent"):
        expect["no_tool_calls"] = True
        extra -= {"absent"}
    elif event == "function_call" and item.get("calls"):
        for call in item["calls"]:
            if isinstance(call, dict) and call.get("name"):
                expect.setdefault("tool_calls", []).append({"name": call["name"], "args": call.get("args") or {}})
            else:
                out.note(where, f"function_call {call!r}", "a call with no name (any call) has no equivalent")
        extra -= {"calls"}
    else:
        out.note(where, f"event {event}", "no such event in this workbench's checks")
        return
    for key in sorted(extra):
        out.note(where, f"{event}.{key}", "no equivalent here")


def import_pipecat(path: Path) -> Conversion:
    """One scenario from one Pipecat eval file."""
    raw, _ = read_yaml(path, _PipecatLoader)
    data = _resolve(raw, path.parent)
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise ScenarioError(f"{path}: not a Pipecat eval scenario (no 'turns' list)")
    out = Conversion()
    name = path.name
    user = data.get("user")
    spoken = isinstance(user, dict) and user.get("modality") == "audio"
    if spoken:
        out.note(name, "user speech service", "our own TTS speaks the turns", approximated=True)
    if data.get("judge"):
        out.note(name, "judge model", "the configured LLM (VOICEBOT_LLM) judges instead", approximated=True)
    for key in ("context", "stop_on_failure"):
        if key in data and data[key] not in (None, [], False):
            out.note(name, key, "no equivalent here (every turn runs, from a fresh session)")
    turns: list[dict[str, Any]] = []
    for number, turn in enumerate(data["turns"], 1):
        where = f"{name} turn {number}"
        if not isinstance(turn, dict):
            out.note(where, repr(turn), "not a mapping")
            continue
        for key in ("dtmf", "send_after", "image"):
            if key in turn:
                out.note(where, key, "no equivalent here")
        if "user" not in turn:
            out.note(where, "a turn without user text", "this bot answers only when spoken to; its expectations "
                     "are dropped")
            continue
        converted: dict[str, Any] = {"say" if spoken else "user": str(turn["user"])}
        expect: dict[str, Any] = {}
        for item in turn.get("expect") or []:
            _expectation(item, expect, out, where)
        if expect:
            converted["expect"] = expect
        turns.append(converted)
    scenario = {"name": scenario_name(str(data.get("name") or ""), path.stem).replace("_", " "),
                "tags": ["imported", "pipecat"], "turns": turns}
    out.add(scenario, name)
    return out

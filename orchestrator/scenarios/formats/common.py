"""What every converter shares: the result type, the list of what did not map, names, and safe writing.

A conversion never drops anything silently: each part of the source that has
no equivalent is an ``Unmapped`` entry (``dropped``), and each one mapped
with different semantics says so (``approximated``). Converted scenarios
are validated against the scenario schema before they are written, each
file atomically, and an existing file is never overwritten unless asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from orchestrator.dialog.phrases import ASK
from orchestrator.fsutil import atomic_write_text
from orchestrator.scenarios.coverage import prompt_texts
from orchestrator.scenarios.loader import ScenarioError
from orchestrator.scenarios.model import Scenario
from orchestrator.scenarios.record import slug

__all__ = [
    "Conversion",
    "Unmapped",
    "file_names",
    "phrase_for_utter",
    "scenario_name",
    "scenario_yaml",
    "write_files",
]


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A part of the source with no equivalent (dropped), or one whose meaning changed (approximated)."""

    where: str  # file:line, or file and test-case name
    what: str
    why: str
    kind: Literal["dropped", "approximated"] = "dropped"

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {"where": self.where, "what": self.what, "why": self.why, "kind": self.kind}

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.what} ({self.why})"


@dataclass
class Conversion:
    """Scenarios (plain dicts in our YAML shape) and what did not convert as it was."""

    scenarios: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)

    def note(self, where: str, what: str, why: str, *, approximated: bool = False) -> None:
        """Record a part that did not map (or mapped loosely)."""
        self.unmapped.append(Unmapped(where, what, why, "approximated" if approximated else "dropped"))

    def add(self, scenario: dict[str, Any], where: str) -> None:
        """Keep a converted scenario if it validates; otherwise record why it could not be."""
        if not scenario.get("turns"):
            self.note(where, f"scenario {scenario.get('name')!r}", "no turn could be converted")
            return
        for turn in scenario["turns"]:
            if turn.get("expect") == {}:
                del turn["expect"]
        try:
            Scenario.model_validate(scenario)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            self.note(where, f"scenario {scenario.get('name')!r}", f"not a valid scenario: {loc}: {first['msg']}")
            return
        self.scenarios.append(scenario)


def scenario_name(raw: str, fallback: str) -> str:
    """A name our schema accepts (letters, digits, space, _ . -), from the source's own."""
    name = re.sub(r"[^A-Za-z0-9 _.-]+", " ", raw).strip(" _.-")
    name = re.sub(r"\s+", " ", name)[:120].strip()
    return name or fallback


def phrase_for_utter(utter: str) -> str | None:
    """The dialog's sentence for a response name: ``utter_greeting`` -> GREETING, ``utter_ask_rate_percent``."""
    key = utter.removeprefix("utter_")
    texts = prompt_texts()
    if key.lower().startswith("ask_") and key[4:] in ASK:
        return ASK[key[4:]]
    return texts.get(key.upper())


def scenario_yaml(scenario: dict[str, Any]) -> str:
    """The YAML of one scenario, in the order people read it."""
    return yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=110)


def write_files(files: dict[str, str], out: Path, *, force: bool) -> list[Path]:
    """Write ``{file name: text}`` into ``out`` atomically; refuses to overwrite unless ``force``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in files]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise ScenarioError(f"{existing[0]} exists (pass --force to overwrite)")
    for path in paths:
        atomic_write_text(path, files[path.name])
    return paths


def file_names(scenarios: list[dict[str, Any]], suffix: str) -> list[str]:
    """One distinct, safe file name per scenario."""
    names: list[str] = []
    for scenario in scenarios:
        stem = slug(str(scenario["name"]))
        name, n = f"{stem}{suffix}", 2
        while name in names:
            name, n = f"{stem}-{n}{suffix}", n + 1
        names.append(name)
    return names

"""Turn a live session into a regression scenario ("Save as scenario").

Every completed turn becomes a scenario turn: typed text as ``user``, spoken
turns as ``audio`` (the recorded WAV is copied next to the scenario). What
the bot did becomes the expectation: intent, state, slots and the quoted
figures. The YAML is validated by the scenario loader before it is kept.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_text
from orchestrator.scenarios.loader import load_scenario
from orchestrator.sessions.admin import load_or_fail
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import session_file

__all__ = ["save_session_as_scenario", "scenario_from_session", "slug"]

FIGURES = ("payment", "apr", "total")


def slug(name: str) -> str:
    """A safe file stem from a scenario name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "recorded"


def scenario_from_session(store: SessionStore, session_id: str, name: str) -> tuple[dict[str, Any], list[str]]:
    """The scenario as a dict, and the recorded audio files its turns need."""
    state = load_or_fail(store, session_id)
    turns: list[dict[str, Any]] = []
    audio: list[str] = []
    for entry in state.history:
        expect: dict[str, Any] = {"intent": entry.intent}
        if entry.state:
            expect["state"] = entry.state
        if entry.slots:
            expect["slots"] = entry.slots
        figures = {k: entry.figures[k] for k in FIGURES if k in entry.figures}
        if figures:
            expect["figures"] = figures
        if entry.input_kind == "audio" and entry.audio_file:
            audio.append(entry.audio_file)
            turns.append({"audio": entry.audio_file, "reference": entry.user, "expect": expect})
        else:
            turns.append({"user": entry.user, "expect": expect})
    if not turns:
        raise ValueError(f"session {session_id!r} has no completed turns to save")
    scenario = {
        "name": name,
        "description": f"Recorded from session {state.session_id}.",
        "source_session": state.session_id,
        "tags": ["recorded"],
        "turns": turns,
    }
    return scenario, audio


def save_session_as_scenario(
    settings: Settings, store: SessionStore, session_id: str, folder: Path, name: str | None = None
) -> Path:
    """Write ``folder/<slug>.yaml`` (and its audio) atomically; returns the scenario's path."""
    name = name or f"recorded {session_id}"
    scenario, audio = scenario_from_session(store, session_id, name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(name)}.yaml"
    for file_name in audio:
        # Rebuild the source path from the validated id: never trust a stored name as a path.
        turn = file_name.rsplit("-t", 1)[-1].split("-", 1)[0]
        source = session_file(settings.audio_dir, session_id, f"-t{turn}-caller.wav")
        if source.name != file_name or not source.exists():
            raise FileNotFoundError(f"recorded audio {file_name} is missing")
        shutil.copyfile(source, folder / file_name)
    atomic_write_text(path, yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True))
    load_scenario(path)  # it must be a valid scenario, or the caller hears why
    return path

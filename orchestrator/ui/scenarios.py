"""Scenarios in the browser: find them, parse the chat command, and turn results into views.

The Chainlit handlers only render what this module returns; playing runs the
same ``run_scenario`` as the CLI, in a fresh session, one turn at a time.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from orchestrator.pipeline import Pipeline
from orchestrator.scenarios import LoadedScenario, ScenarioError, ScenarioRun, TurnRun, find_scenarios, load_scenario
from orchestrator.scenarios.loader import SHIPPED_DIR
from orchestrator.scenarios.runner import TurnCallback, run_scenario
from orchestrator.ui.present import StepView, steps_for

__all__ = ["ScenarioCommand", "ScenarioLibrary", "checks_step", "parse_command", "summary_text", "turn_steps"]

SCENARIOS_DIR = SHIPPED_DIR


@dataclass(frozen=True)
class ScenarioCommand:
    """``/scenarios`` (list) or ``/scenario NAME [--audio]`` (play)."""

    action: str  # "list" or "play"
    name: str = ""
    audio: bool = False


def parse_command(text: str) -> ScenarioCommand | None:
    """The scenario command in a chat message, or None for an ordinary message."""
    stripped = text.strip()
    if not stripped.startswith("/scenario"):
        return None
    try:
        words = shlex.split(stripped)
    except ValueError:
        words = stripped.split()
    head, rest = words[0], words[1:]
    if head == "/scenarios" or (head == "/scenario" and not rest):
        return ScenarioCommand("list")
    if head != "/scenario":
        return None
    audio = "--audio" in rest
    name = " ".join(w for w in rest if w != "--audio")
    return ScenarioCommand("play", name=name, audio=audio)


class ScenarioLibrary:
    """The shipped scenarios, loaded once; malformed files are listed as problems, not fatal."""

    def __init__(self, folder: Path = SCENARIOS_DIR) -> None:
        self.folder = folder
        self.scenarios: dict[str, LoadedScenario] = {}
        self.problems: list[str] = []
        paths = find_scenarios([folder]) if folder.is_dir() else []
        for path in paths:
            try:
                loaded = load_scenario(path)
            except ScenarioError as exc:
                self.problems.append(exc.message)
                continue
            self.scenarios.setdefault(loaded.name, loaded)

    def names(self, tag: str | None = None) -> list[str]:
        """Scenario names (optionally only those with ``tag``), sorted."""
        return sorted(n for n, s in self.scenarios.items() if tag is None or tag in s.scenario.tags)

    def get(self, name: str) -> LoadedScenario:
        """The scenario called ``name``; raises ``ScenarioError`` naming the closest ones."""
        if name in self.scenarios:
            return self.scenarios[name]
        close = [n for n in self.scenarios if name.lower() in n.lower()]
        hint = f" Did you mean: {', '.join(sorted(close)[:5])}?" if close else " Type /scenarios to list them."
        raise ScenarioError(f"no scenario called {name!r}.{hint}")

    async def play(
        self, name: str, pipeline: Pipeline, *, audio_mode: bool = False, on_turn: TurnCallback | None = None
    ) -> ScenarioRun:
        """Run one scenario turn by turn on the app's pipeline, in a fresh session."""
        return await run_scenario(self.get(name), pipeline, audio_mode=audio_mode, on_turn=on_turn)


def checks_step(turn: TurnRun) -> StepView:
    """The expectations of one turn as a step: each marked pass, fail or not run."""
    passed = sum(c.passed for c in turn.checks)
    marks = {"passed": "✅", "failed": "❌", "not_run": "⏭️"}
    lines = [f"{marks[c.status]} {c.name}" + ("" if c.passed else f": {c.detail}") for c in turn.checks]
    return StepView(
        name=f"Checks - {passed} of {len(turn.checks)} passed",
        type="tool",
        input=f"turn {turn.index + 1}: {turn.user}",
        output="\n".join(lines) or "no expectations",
        ms=turn.wall_ms,
    )


def turn_steps(turn: TurnRun) -> list[StepView]:
    """The pipeline's steps for one scenario turn, then its checks."""
    events = list(turn.result.events) if turn.result is not None else []
    return [*steps_for(events), checks_step(turn)]


def summary_text(run: ScenarioRun) -> str:
    """The closing message of a scenario run."""
    verdict = "PASS" if run.passed else "FAIL"
    head = f"Scenario **{run.name}**: {verdict}, {len(run.turns)} turns in {run.wall_ms / 1000:.1f} s"
    failures = run.failures()
    if not failures:
        return head
    return head + "\n\n" + "\n".join(f"- {f}" for f in failures[:10])

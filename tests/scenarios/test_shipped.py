"""Every shipped scenario under scenarios/ is one test.

Text scenarios run on the rules dialog with the real MiniLM intents and
scripted STT/TTS (speech plays no part in them); scenarios with audio turns
run on the real Whisper and Piper and are marked ``models``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.scenarios import LoadedScenario, Pipelines, find_scenarios, load_scenario, run_scenario
from tests.conftest import REPO_ROOT

SCENARIO_FILES = find_scenarios([REPO_ROOT / "scenarios"])


def _param(path: Path) -> object:
    loaded = load_scenario(path)
    marks = [pytest.mark.models] if loaded.scenario.needs_audio else []
    return pytest.param(loaded, id=str(path.relative_to(REPO_ROOT / "scenarios")), marks=marks)


def test_at_least_25_scenarios_ship_and_cover_the_areas():
    assert len(SCENARIO_FILES) >= 25
    tags = {tag for path in SCENARIO_FILES for tag in load_scenario(path).scenario.tags}
    for area in ("loan", "correction", "out-of-range", "nonsense", "handoff", "compliance", "audio", "mortgage",
                 "balance", "lost_card", "transfer", "out_of_scope"):
        assert area in tags, area


@pytest.mark.parametrize("loaded", [_param(p) for p in SCENARIO_FILES])
async def test_shipped_scenario(loaded: LoadedScenario, pipelines: Pipelines):
    run = await run_scenario(loaded, pipelines.for_scenario(loaded))
    assert run.passed, "\n".join(run.failures())

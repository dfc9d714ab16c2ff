"""orchestrator.ui.scenarios: scenario commands in the chat, the library, and playing one."""

from __future__ import annotations

import pytest

from orchestrator.ui.scenarios import (
    ScenarioCommand,
    ScenarioLibrary,
    parse_command,
    summary_text,
    turn_steps,
)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/scenarios", ScenarioCommand("list")),
        ("/scenario", ScenarioCommand("list")),
        ("/scenario loan slot by slot", ScenarioCommand("play", "loan slot by slot")),
        ("/scenario 'loan slot by slot' --audio", ScenarioCommand("play", "loan slot by slot", audio=True)),
        ("hello", None),
        ("/scenariox", None),
    ],
)
def test_scenario_commands_in_the_chat(text, command):
    assert parse_command(text) == command


def test_the_library_loads_the_shipped_scenarios_and_lists_starters():
    library = ScenarioLibrary()
    assert len(library.names()) >= 25 and library.problems == []
    assert "loan happy path in one sentence" in library.names(tag="starter")
    with pytest.raises(Exception, match="Did you mean"):
        library.get("happy path")


def test_a_malformed_scenario_is_listed_as_a_problem_not_fatal(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\nturns: 3\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text("name: good\nturns:\n  - user: hi\n", encoding="utf-8")
    library = ScenarioLibrary(tmp_path)
    assert library.names() == ["good"]
    assert library.problems and "bad.yaml:2" in library.problems[0]


async def test_playing_a_scenario_reports_each_turn_with_its_checks(fake_pipeline):
    seen = []

    async def on_turn(turn):
        seen.append([view.name.split(" - ")[0] for view in turn_steps(turn)])

    run = await ScenarioLibrary().play("loan happy path in one sentence", fake_pipeline, on_turn=on_turn)
    assert run.passed, run.failures()
    assert seen == [["Dialog", "Text-to-speech", "Checks"]] * 2
    assert summary_text(run).startswith("Scenario **loan happy path in one sentence**: PASS, 2 turns")
    last = turn_steps(run.turns[-1])[-1]
    assert last.name.startswith("Checks - ") and "✅ figure payment" in last.output

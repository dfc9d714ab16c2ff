"""voicebot scenarios import|export: files written safely, the unmapped listed, imported peers' files run green."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.scenarios import load_scenario
from orchestrator.scenarios.formats.botium import import_botium
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


@pytest.fixture
def scenarios_cli() -> Callable[..., Result]:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["scenarios", *map(str, args)])


@pytest.mark.parametrize(("source", "fixture"), [("botium", "loan-quote.convo.txt"), ("rasa", "e2e_test_cases.yml")])
def test_an_imported_botium_and_rasa_file_run_green(scenarios_cli, run_cli, tmp_path: Path, source: str, fixture: str):
    out = tmp_path / source
    imported = scenarios_cli("import", FIXTURES / fixture, "--from", source, "--out", out)
    assert imported.exit_code == 0, imported.output
    written = sorted(out.glob("*.yaml"))
    assert written and all(load_scenario(p).scenario.tags[:1] == ["imported"] for p in written)
    result = run_cli(out, "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["scenarios_failed"] == 0


def test_import_json_lists_files_and_every_unmapped_part(scenarios_cli, tmp_path: Path):
    result = scenarios_cli("import", FIXTURES / "exotic.convo.txt", "--from", "botium", "--out", tmp_path, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    name = "exotic-botium-features.yaml"
    assert data["files"] == [{"name": name, "path": str(tmp_path / name)}]
    kinds = {(u["what"], u["kind"]) for u in data["unmapped"]}
    assert ("BUTTONS Loans|Cards", "dropped") in kinds and ("TEXT_EQUALS_IC", "approximated") in kinds


def test_import_without_out_prints_the_yaml_and_lists_the_unmapped(scenarios_cli):
    result = scenarios_cli("import", FIXTURES / "exotic.convo.txt", "--from", "botium")
    assert result.exit_code == 0
    assert "name: Exotic Botium features" in result.stdout
    assert "dropped: exotic.convo.txt:13: BUTTONS Loans|Cards" in " ".join(result.output.split())


def test_import_never_overwrites_unless_forced(scenarios_cli, tmp_path: Path):
    args = ("import", FIXTURES / "loan-quote.convo.txt", "--from", "botium", "--out", tmp_path)
    assert scenarios_cli(*args).exit_code == 0
    target = next(tmp_path.glob("*.yaml"))
    target.write_text("edited by hand", encoding="utf-8")
    again = scenarios_cli(*args)
    assert again.exit_code == 2 and "pass --force" in again.output
    assert target.read_text(encoding="utf-8") == "edited by hand"
    assert scenarios_cli(*args, "--force").exit_code == 0 and "name:" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "problem"), [
    (("import", "missing.convo.txt", "--from", "botium"), "no such file"),
    (("import", FIXTURES / "e2e_test_cases.yml", "--from", "pipecat"), "not a Pipecat eval scenario"),
    (("import", FIXTURES / "loan-quote.convo.txt", "--from", "watson"), "watson"),
    (("export", FIXTURES / "e2e_test_cases.yml", "--to", "botium"), "name: Field required"),
    (("export", FIXTURES / "nowhere", "--to", "botium"), "no such file or directory"),
])
def test_bad_input_is_a_usage_error_on_one_line(scenarios_cli, args: tuple[object, ...], problem: str):
    result = scenarios_cli(*args)
    assert result.exit_code == 2 and problem in result.output and "Traceback" not in result.output


def test_exporting_an_empty_folder_says_there_is_nothing_to_export(scenarios_cli, tmp_path: Path):
    result = scenarios_cli("export", tmp_path, "--to", "botium")
    assert result.exit_code == 2 and "no scenarios to export" in result.output


def test_bad_input_with_json_prints_an_error_object(scenarios_cli):
    result = scenarios_cli("import", "missing.yml", "--from", "rasa", "--json")
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["category"] == "scenario"


def test_export_writes_convos_that_import_back_to_the_same_conversation(scenarios_cli, tmp_path: Path):
    shipped = REPO_ROOT / "scenarios" / "loan" / "happy-path-one-sentence.yaml"
    result = scenarios_cli("export", shipped, "--to", "botium", "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    convo = tmp_path / "loan-happy-path-in-one-sentence.convo.txt"
    assert [f["path"] for f in data["files"]] == [str(convo)]
    text = convo.read_text(encoding="utf-8")
    assert "#me\nI'd like to borrow 25,000 dollars over 5 years at 6.5 percent\n" in text
    assert "TEXT_CONTAINS_ALL_IC virtual assistant|recorded|Just to confirm" in text
    assert {u["what"] for u in data["unmapped"]} >= {"expect.slots", "expect.state", "expect.figures"}
    back = import_botium(convo).scenarios[0]
    original = load_scenario(shipped).scenario
    assert [t["user"] for t in back["turns"]] == [t.user for t in original.turns]
    assert back["turns"][0]["expect"]["intent"] == "loan_quote"
    assert back["turns"][0]["expect"]["contains"] == ["virtual assistant", "recorded", "Just to confirm"]


def test_export_lists_goals_and_audio_turns_it_cannot_carry(scenarios_cli, tmp_path: Path):
    goal = REPO_ROOT / "scenarios" / "goals" / "scripted-then-goal.yaml"
    silence = REPO_ROOT / "scenarios" / "audio" / "silence.yaml"
    data = json.loads(scenarios_cli("export", goal, silence, "--to", "botium", "--json").stdout)
    whats = {u["what"] for u in data["unmapped"]}
    assert "goal" in whats and "expect.tool_calls" in whats and any(w.startswith("audio ") for w in whats)
    assert len(data["files"]) == 2 and all("text" in f for f in data["files"])

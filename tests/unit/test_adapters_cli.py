"""``voicebot adapter-control``: output, exit codes and clear errors, without loading a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.adapters.activation import global_adapter
from orchestrator.cli import app
from orchestrator.runtime import default_store
from orchestrator.sessions.base import SessionState
from tests.unit.adapter_fakes import save_fake_adapter

SUBCOMMANDS = ["list", "show", "train", "evaluate", "activate", "deactivate", "compare", "map"]


@pytest.fixture
def cli(fake_settings, monkeypatch):
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["adapter-control", *args])

    return invoke


def as_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_list_shows_the_shipped_adapter_and_the_active_one(cli, fake_settings):
    save_fake_adapter(fake_settings, "mine")
    assert cli("activate", "mine").exit_code == 0
    listing = as_json(cli("list", "--json"))
    assert listing["active"] == "mine"
    assert {(a["name"], a["source"], a["active"]) for a in listing["adapters"]} == {
        ("mine", "home", True), ("banking-v1", "shipped", False)}
    human = cli("list")
    assert human.exit_code == 0 and "banking-v1" in human.stdout and "active: mine" in human.stdout


def test_show_prints_the_metadata(cli):
    shown = as_json(cli("show", "banking-v1", "--json"))
    assert shown["name"] == "banking-v1" and shown["source"] == "shipped" and len(shown["data"]["sha256"]) == 64
    assert {"accuracy", "macro_f1"} <= set(shown["metrics"]) and shown["created_at"]
    human = cli("show", "banking-v1")
    assert human.exit_code == 0 and "sha256" in human.stdout and "macro-F1" in human.stdout


@pytest.mark.parametrize(
    ("args", "category"),
    [
        (["show", "../x"], "invalid_adapter_name"),
        (["show", "nope"], "adapter_not_found"),
        (["activate", "nope"], "adapter_not_found"),
        (["activate", "../../etc"], "invalid_adapter_name"),
        (["activate", "banking-v1", "--session", "../s"], "invalid_session_id"),
        (["deactivate", "--session", "never-seen"], "session_not_found"),
        (["evaluate", "nope"], "adapter_not_found"),
        (["compare", "nope"], "adapter_not_found"),
        (["compare", "--scenarios", "no/such/folder"], "scenario"),
        (["map", "banking-v1", "--served-model", "x"], "adapter_exists"),
        (["map", "nope", "--served-model", "x"], "adapter_not_found"),
        (["map", "banking-v1"], "usage"),
    ],
)
def test_bad_input_exits_2_with_a_json_error(cli, args, category):
    result = cli(*args, "--json")
    assert result.exit_code == 2, result.stdout
    assert as_json(result)["error"]["category"] == category


def test_errors_without_json_are_one_line_without_a_traceback(cli):
    result = cli("show", "../x")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "invalid adapter name" in result.output


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ("text,label\nhi,greeting\nsend money,wire_money\n", "unknown label(s) 'wire_money'"),
        ("utterance,intent\nhi,greeting\n", "missing column(s)"),
        ("text,label\n", "no rows"),
    ],
)
def test_train_rejects_bad_data_before_loading_a_model(cli, tmp_path, content, fault):
    result = cli("train", "--data", str(write(tmp_path / "d.csv", content)), "--name", "new", "--json")
    assert result.exit_code == 2 and fault in as_json(result)["error"]["message"]


def test_train_rejects_hostile_taken_and_shipped_names(cli, fake_settings, tmp_path):
    data = write(tmp_path / "d.csv", "text,label\nhi,greeting\nbye,goodbye\n")
    save_fake_adapter(fake_settings, "taken")
    for name, category in (("../x", "invalid_adapter_name"), ("taken", "adapter_exists"),
                           ("banking-v1", "adapter_exists"), ("base", "invalid_adapter_name")):
        result = cli("train", "--data", str(data), "--name", name, "--json")
        assert result.exit_code == 2 and as_json(result)["error"]["category"] == category, name
    assert cli("train", "--data", str(tmp_path / "missing.csv"), "--name", "x", "--json").exit_code == 2
    assert cli("train", "--data", str(data), "--name", "x", "--epochs", "0").exit_code == 2


def test_evaluate_rejects_unknown_labels_unless_mapped(cli, tmp_path):
    data = write(tmp_path / "e.csv", "text,label\nwhere is my card,card_arrival\n")
    result = cli("evaluate", "banking-v1", "--data", str(data), "--json")
    assert result.exit_code == 2
    message = as_json(result)["error"]["message"]
    assert "unknown label(s) 'card_arrival'" in message and "--mapped" in message


def test_activate_and_deactivate_globally(cli, fake_settings):
    assert as_json(cli("activate", "banking-v1", "--json")) == {
        "adapter": "banking-v1", "scope": "global", "session_id": None}
    assert global_adapter(fake_settings) == "banking-v1"
    assert as_json(cli("deactivate", "--json"))["previous"] == "banking-v1"
    assert global_adapter(fake_settings) is None
    assert as_json(cli("deactivate", "--json"))["previous"] is None


def test_activate_and_deactivate_one_session(cli, fake_settings):
    store = default_store(fake_settings)
    try:
        store.save(SessionState(session_id="known", turns=3))
    finally:
        store.close()
    assert cli("activate", "banking-v1", "--session", "known").exit_code == 0
    assert cli("activate", "banking-v1", "--session", "brand-new").exit_code == 0  # set before its first turn
    assert cli("deactivate", "--session", "brand-new").exit_code == 0
    store = default_store(fake_settings)
    try:
        assert store.load("known").adapter == "banking-v1" and store.load("known").turns == 3
        assert store.load("brand-new").adapter == "base"
    finally:
        store.close()
    assert global_adapter(fake_settings) is None


def test_map_sets_and_clears_a_served_model(cli, fake_settings):
    save_fake_adapter(fake_settings, "mine")
    assert as_json(cli("map", "mine", "--served-model", "banking-lora", "--json"))["served_model"] == "banking-lora"
    assert as_json(cli("show", "mine", "--json"))["served_model"] == "banking-lora"
    assert as_json(cli("map", "mine", "--clear", "--json"))["served_model"] is None
    assert cli("map", "mine", "--clear", "--served-model", "x").exit_code == 2

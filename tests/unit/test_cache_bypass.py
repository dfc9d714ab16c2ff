"""Regression runs check today's dialog, never a cached answer: replay-session --rerun and run-scenario bypass the
semantic cache unless asked (--cache, or a scenario's cache: expectations)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.dialog import faq
from orchestrator.scenarios.loader import load_scenario
from orchestrator.scenarios.runner import Pipelines
from tests.conftest import make_pipeline

NEW_HOURS = "Our branches are open every day from 8 am to 8 pm."


@pytest.fixture
def cli(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    for name, value in (("VOICEBOT_STT", "fake"), ("VOICEBOT_TTS", "fake"), ("VOICEBOT_INTENT_CLASSIFIER", "keywords")):
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def faq_call(cli) -> str:
    """A recorded call that asks the opening hours twice; the second answer came from the cache."""
    first = cli("turn", "--session", "faq-call", "--text", "What are your opening hours?", "--json")
    second = cli("turn", "--session", "faq-call", "--text", "when are you open", "--json")
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    return json.loads(second.stdout)["reply"]


def change_the_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    edited = tuple(dataclasses.replace(f, answer=NEW_HOURS) if f.id == "opening_hours" else f for f in faq.FAQS)
    monkeypatch.setattr(faq, "FAQS", edited)


def test_a_rerun_of_an_unchanged_call_passes_without_the_cache(cli, faq_call):
    result = cli("replay-session", "faq-call", "--rerun", "--json", "--latency-slack-ms", "5000")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, data
    assert data["cache"] is False and data["regressions"] == 0 and data["rerun_session_id"].startswith("rr-")


@pytest.mark.parametrize("flags", [(), ("--cache",)])
def test_after_the_faq_changes_the_rerun_reports_every_changed_turn_and_exits_1(cli, faq_call, monkeypatch, flags):
    change_the_hours(monkeypatch)
    result = cli("replay-session", "faq-call", "--rerun", "--json", "--latency-slack-ms", "5000", *flags)
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert data["regressions"] == 2 and data["cache"] is bool(flags)
    for turn in data["turns"]:
        reply = next(d for d in turn["differences"] if d["stage"] == "reply")
        assert faq_call in reply["before"] and NEW_HOURS in reply["after"]


def test_the_human_rerun_output_counts_the_changed_turns(cli, faq_call, monkeypatch):
    change_the_hours(monkeypatch)
    result = cli("replay-session", "faq-call", "--rerun", "--latency-slack-ms", "5000")
    assert result.exit_code == 1 and "2 of 2 turns changed" in result.output


def _scenario(folder: Path, name: str, expect_cache: bool) -> Path:
    turns = [{"user": "hello"}, {"user": "What are your opening hours?"}, {"user": "what are your opening hours"}]
    if expect_cache:
        turns[1]["expect"] = {"cache": "miss"}
        turns[2]["expect"] = {"cache": "hit"}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "turns": turns}))
    return path


@pytest.mark.parametrize(("expect_cache", "use_cache", "cached"), [
    (False, False, False), (True, False, True), (False, True, True),
])
def test_scenario_pipelines_use_the_cache_only_when_asked(fake_settings, tmp_path, expect_cache, use_cache, cached):
    loaded = load_scenario(_scenario(tmp_path, "faq", expect_cache))
    pipelines = Pipelines(fake_settings, use_cache=use_cache)
    try:
        assert (pipelines.for_scenario(loaded).cache is not None) is cached
    finally:
        pipelines.close()


def test_run_scenario_serves_a_scenario_its_expected_cache_hit_and_others_none(run_cli, tmp_path, fake_settings):
    _scenario(tmp_path, "asks-for-the-cache", True)
    _scenario(tmp_path, "plain", False)
    result = run_cli(tmp_path, "--json")
    assert result.exit_code == 0, result.output
    logs = {p.name for p in fake_settings.logs_dir.glob("scn-*.jsonl")}
    plain = [p for p in fake_settings.logs_dir.glob("scn-plain-*.jsonl")]
    assert len(logs) == 2 and len(plain) == 1
    assert '"cache_lookup"' not in plain[0].read_text()  # no cache at all for the plain one


def test_scenario_runs_of_a_recorded_session_carry_its_hash_in_their_id(fake_settings, tmp_path):
    from orchestrator.scenarios.record import save_session_as_scenario
    from orchestrator.scenarios.runner import run_scenario
    from orchestrator.sessions.lineage import is_derived_from

    pipeline = make_pipeline(fake_settings)
    try:
        import asyncio

        asyncio.run(pipeline.run_turn("source-call", text="hello"))
        path = save_session_as_scenario(fake_settings, pipeline.store, "source-call", tmp_path)
        run = asyncio.run(run_scenario(load_scenario(path), pipeline))
    finally:
        pipeline.store.close()
    assert run.session_id.startswith("scn-") and is_derived_from(run.session_id, "source-call")
    assert not is_derived_from(run.session_id, "another-call")

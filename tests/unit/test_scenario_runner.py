"""The scenario runner's rules: compliance per turn and per run, slots, cache, crashes, adapters, logs, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orchestrator.cli.scenario import parse_compliance
from orchestrator.config import Settings
from orchestrator.llm.fake import FakeDialog
from orchestrator.pipeline import Pipeline
from orchestrator.scenarios import Pipelines, ScenarioError, TurnRun, load_scenario, run_scenario
from orchestrator.scenarios.checks import cache_outcome, check_expectations
from orchestrator.scenarios.model import Expect
from orchestrator.scenarios.report_html import html_report, timeline
from orchestrator.scenarios.report_junit import junit_xml
from orchestrator.scenarios.suite import run_suite
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import JsonlSink, Tracer
from orchestrator.tts.fake import FakeTTS
from tests.conftest import make_pipeline

QUOTE = "Your monthly payment is $489.15."  # a quote with no APR in it


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def play(settings: Settings, folder: Path, text: str, dialog: Any = None, **kwargs: Any):
    pipeline = make_pipeline(settings, dialog=dialog)
    try:
        return await run_scenario(load_scenario(write(folder, "s.yaml", text)), pipeline, **kwargs)
    finally:
        pipeline.store.close()


def failed_names(run) -> list[str]:
    return [c.name for t in run.turns for c in t.checks if not c.passed] + [c.name for c in run.checks if not c.passed]


# -- compliance: per turn, per scenario, per run ---------------------------------------------------


@pytest.fixture
def quiet_settings(fake_settings: Settings) -> Settings:
    """No disclosure from the pipeline: the dialog's own words are all the caller hears."""
    return fake_settings.model_copy(update={"disclosure": False})


async def test_a_turn_can_switch_compliance_off_for_itself(quiet_settings, tmp_path):
    text = "name: c\ncompliance: [apr_disclosed]\nturns:\n  - user: quote\n    compliance: []\n  - user: again\n"
    run = await play(quiet_settings, tmp_path, text, FakeDialog([QUOTE]))
    assert run.turns[0].passed
    assert [c.name for c in run.turns[1].checks if not c.passed] == ["compliance apr_disclosed"]


async def test_a_turn_can_switch_a_rule_on_that_the_scenario_left_off(quiet_settings, tmp_path):
    text = "name: c\ncompliance: []\nturns:\n  - user: quote\n  - user: again\n    compliance: [apr_disclosed]\n"
    run = await play(quiet_settings, tmp_path, text, FakeDialog([QUOTE]))
    assert failed_names(run) == ["compliance apr_disclosed"]
    assert run.turns[0].passed and not run.turns[1].passed
    assert run.checks == []  # no turn asked for the card rule, so the log is not read


async def test_the_run_default_applies_only_to_scenarios_without_their_own_list(quiet_settings, tmp_path):
    unlisted = "name: c\nturns:\n  - user: quote\n"
    run = await play(quiet_settings, tmp_path, unlisted, FakeDialog([QUOTE]), default_compliance=frozenset())
    assert run.passed, run.failures()
    listed = "name: c\ncompliance: [apr_disclosed]\nturns:\n  - user: quote\n"
    run = await play(quiet_settings, tmp_path, listed, FakeDialog([QUOTE]), default_compliance=frozenset())
    assert failed_names(run) == ["compliance apr_disclosed"]


async def test_the_disclosure_must_come_before_the_first_quote_even_when_turn_one_is_exempt(quiet_settings, tmp_path):
    text = "name: d\ncompliance: [disclosure_first]\nturns:\n  - user: hi\n    compliance: []\n  - user: quote\n"
    run = await play(quiet_settings, tmp_path, text, FakeDialog(["Hello.", QUOTE]))
    failures = run.failures()
    assert failures == ["turn 2: compliance disclosure_first: quoted before the disclosure"]

    disclosed = FakeDialog(["I am a virtual assistant and this call is recorded.", QUOTE])
    run = await play(quiet_settings, tmp_path, text, disclosed)
    assert run.passed, run.failures()


async def test_the_pipeline_disclosure_satisfies_disclosure_first(fake_settings, tmp_path):
    run = await play(fake_settings, tmp_path, "name: d\ncompliance: [disclosure_first]\nturns:\n  - user: hi\n",
                     FakeDialog(["Hello."]))
    assert run.passed, run.failures()
    assert [c.name for c in run.turns[0].checks] == ["compliance disclosure_first"]


def test_parse_compliance_reads_lists_all_and_none():
    assert parse_compliance("all") == {"apr_disclosed", "no_card_numbers", "disclosure_first"}
    assert parse_compliance("none") == frozenset()
    assert parse_compliance(" apr_disclosed , no_card_numbers") == {"apr_disclosed", "no_card_numbers"}
    with pytest.raises(ScenarioError, match="unknown everything"):
        parse_compliance("apr_disclosed,everything")


# -- expectations -------------------------------------------------------------------------------------


async def test_slots_compare_numbers_by_value_and_text_as_text(fake_settings, tmp_path):
    base = "name: s\nturns:\n  - user: I'd like to borrow 25,000 dollars over 5 years at 6.5 percent\n    expect:\n"
    good = base + "      slots: {principal: 25000.00, term_months: '60', rate_percent: 6.50}\n"
    assert (await play(fake_settings, tmp_path, good)).passed
    bad = base + "      slots: {principal: 25001, rate_percent: 6.5}\n"
    run = await play(fake_settings, tmp_path, bad)
    assert failed_names(run) == ["slots"]
    assert "principal" in run.failures()[0]
    missing = base + "      slots: {colour: blue}\n"
    assert failed_names(await play(fake_settings, tmp_path, missing)) == ["slots"]


async def test_the_cache_expectation_reads_what_the_pipeline_reports(fake_pipeline):
    result = await fake_pipeline.run_turn("cache-1", text="hello")
    hit, miss = Expect(cache="hit"), Expect(cache="miss")
    assert cache_outcome(result) is None
    [unavailable] = check_expectations(hit, result, cache_hit=cache_outcome(result))
    assert not unavailable.passed and "no semantic-cache result" in unavailable.detail

    result.cache_hit = True  # type: ignore[attr-defined]  # the field the semantic cache will add
    assert cache_outcome(result) is True
    assert check_expectations(hit, result, cache_hit=True)[0].passed
    assert not check_expectations(miss, result, cache_hit=True)[0].passed

    del result.cache_hit  # type: ignore[attr-defined]
    result.events[-1] = result.events[-1].model_copy()
    object.__setattr__(result.events[-1], "cache_hit", False)  # or a flag on one of its events
    assert cache_outcome(result) is False


# -- failures that must not take the suite down --------------------------------------------------------


class ExplodingTTS(FakeTTS):
    """A voice with a bug in it (the synthetic caller speaks outside the pipeline's own guard)."""

    def synthesize(self, text: str) -> np.ndarray:
        raise KeyError("phoneme")


async def test_a_crashing_backend_fails_its_turn_and_the_next_turn_still_runs(fake_settings, tmp_path):
    pipeline = make_pipeline(fake_settings, tts=ExplodingTTS())
    loaded = load_scenario(write(tmp_path, "s.yaml", "name: x\nturns:\n  - say: hi\n  - user: again\n"))
    try:
        run = await run_scenario(loaded, pipeline)
    finally:
        pipeline.store.close()
    assert len(run.turns) == 2 and not run.passed
    assert run.turns[0].error_category == "internal"
    assert run.failures()[0] == "turn 1: turn ran: internal: KeyError: 'phoneme'"
    assert run.turns[1].error_category == "backend"  # inside the pipeline, its own guard names it


async def test_a_scenario_that_needs_an_adapter_fails_clearly_and_the_others_run(fake_settings, tmp_path):
    text = "name: a\nsettings: {adapter: support-v2}\nturns:\n  - user: hi\n"
    adapter = load_scenario(write(tmp_path, "a.yaml", text))
    plain = load_scenario(write(tmp_path, "b.yaml", "name: b\nturns:\n  - user: hi\n"))
    pipelines = Pipelines(fake_settings, builder=make_pipeline)
    try:
        suite = await run_suite([adapter, plain], pipelines, workers=2)
    finally:
        pipelines.close()
    by_name = {r.name: r for r in suite.runs}
    assert by_name["b"].passed, by_name["b"].failures()
    assert not by_name["a"].passed and by_name["a"].turns == []
    assert "LoRA adapter 'support-v2'" in (by_name["a"].setup_error or "")
    assert "setup: scenario asks for LoRA adapter" in by_name["a"].failures()[0]


async def test_a_dialog_that_has_the_adapter_plays_the_scenario(fake_settings, tmp_path):
    class AdaptedDialog(FakeDialog):
        adapter = "support-v2"

    text = "name: a\ncompliance: []\nsettings: {adapter: support-v2}\nturns:\n  - user: hi\n"
    run = await play(fake_settings, tmp_path, text, AdaptedDialog(["Hello."]))
    assert run.passed and run.setup_error is None and len(run.turns) == 1
    other = text.replace("support-v2", "collections-v1")
    run = await play(fake_settings, tmp_path, other, AdaptedDialog(["Hello."]))
    assert run.setup_error is not None and "has support-v2" in run.setup_error


async def test_workers_share_one_pipeline_and_each_run_has_its_own_session(fake_settings, tmp_path):
    scenario = load_scenario(write(tmp_path, "a.yaml", "name: a\nturns:\n  - user: hi\n  - user: bye\n"))
    built: list[Pipeline] = []

    def builder(settings: Settings) -> Pipeline:
        built.append(make_pipeline(settings))
        return built[-1]

    pipelines = Pipelines(fake_settings, builder=builder)
    try:
        suite = await run_suite([scenario], pipelines, repeat=4, workers=3)
    finally:
        pipelines.close()
    assert len(built) == 1
    assert len({r.session_id for r in suite.runs}) == 4
    assert sorted(r.repeat for r in suite.runs) == [0, 1, 2, 3]
    assert all(r.passed for r in suite.runs), [r.failures() for r in suite.runs]


# -- the card rule reads the log the pipeline really writes --------------------------------------------


async def test_the_log_check_reads_the_tracer_s_own_log_folder(fake_settings, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    sink = JsonlSink(elsewhere)
    pipeline = Pipeline(
        fake_settings, stt=FakeSTT(["hello"]), tts=FakeTTS(), dialog=FakeDialog(["Hello."]),
        store=SqliteSessionStore(fake_settings.sessions_dir / "s.db"), tracer=Tracer([sink]),
    )
    loaded = load_scenario(write(tmp_path, "s.yaml", "name: x\nturns:\n  - user: hi\n"))
    try:
        clean = await run_scenario(loaded, pipeline, session_id="scn-clean")
        # A line some other writer left unredacted in this session's log.
        sink.path_for("scn-leaky").write_text('{"note": "4111 1111 1111 1111"}\n', encoding="utf-8")
        leaky = await run_scenario(loaded, pipeline, session_id="scn-leaky")
    finally:
        pipeline.store.close()
        sink.close()
    assert clean.checks[0].passed and clean.checks[0].detail == ""
    assert not leaky.checks[0].passed
    assert leaky.checks[0].detail == "card number in scn-leaky.jsonl"


# -- the browser's entry point --------------------------------------------------------------------------


async def test_on_turn_is_called_after_each_turn_with_its_checks(fake_settings, tmp_path):
    seen: list[TurnRun] = []

    async def on_turn(turn: TurnRun) -> None:
        seen.append(turn)

    text = "name: x\nturns:\n  - user: hello\n    expect: {intent: greeting}\n"
    text += "  - user: hello\n    expect: {intent: nope}\n"
    run = await play(fake_settings, tmp_path, text, on_turn=on_turn)
    assert [t.index for t in seen] == [0, 1]
    assert seen[0].passed and not seen[1].passed
    assert {c.name: c.passed for c in seen[1].checks}["intent"] is False
    assert seen == run.turns


# -- reports and the CLI --------------------------------------------------------------------------------


@dataclass
class _Run:
    """Enough of a ScenarioRun for the JUnit writer."""

    name: str
    path: str
    repeat: int
    wall_ms: float
    passed: bool
    turns: list[Any]
    checks: tuple[Any, ...] = ()
    goal: dict[str, Any] | None = None

    def failures(self) -> list[str]:
        return [] if self.passed else ["turn 1: contains 'bell\x07': reply had \x00 nul and \x1b[31m colour"]


def test_junit_stays_valid_xml_when_replies_hold_control_characters():
    runs = [_Run("ok", "a.yaml", 0, 5.0, True, []), _Run("bad\x01", "b.yaml", 1, 7.0, False, [])]
    root = ET.fromstring(junit_xml(runs, ["gate \x02 broken"]))  # type: ignore[arg-type]
    suite = root.find("testsuite")
    assert suite is not None and suite.attrib["tests"] == "3" and suite.attrib["failures"] == "2"
    cases = suite.findall("testcase")
    assert [c.attrib["name"] for c in cases] == ["ok", "bad\ufffd [repeat 2]", "latency gates and baseline"]
    failure = cases[1].find("failure")
    assert failure is not None and "nul" in (failure.text or "") and "\x00" not in (failure.text or "")


def test_the_cli_compliance_option_sets_the_default_rules(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEBOT_LLM", "fake")
    monkeypatch.setenv("VOICEBOT_FAKE_REPLIES", QUOTE)
    monkeypatch.setenv("VOICEBOT_DISCLOSURE", "false")
    path = write(tmp_path, "q.yaml", "name: q\nturns:\n  - user: quote\n")
    strict = run_cli(path, "--json")
    assert strict.exit_code == 1
    failures = json.loads(strict.stdout)["scenarios"]["q"]["runs"][0]["failures"]
    assert any("apr_disclosed" in f for f in failures) and any("disclosure_first" in f for f in failures)
    assert run_cli(path, "--compliance", "none").exit_code == 0
    only_cards = run_cli(path, "--compliance", "no_card_numbers", "--json")
    assert only_cards.exit_code == 0, only_cards.output
    bad = run_cli(path, "--compliance", "everything")
    assert bad.exit_code == 2 and "unknown everything" in bad.output


def test_the_cli_names_every_malformed_file(run_cli, tmp_path):
    write(tmp_path, "a.yaml", "name: a\nturns:\n  - user: hi\n    expect: {intnet: x}\n")
    write(tmp_path, "b.yaml", "name: b\nturns:\n  - user: [oops\n")
    write(tmp_path, "c.yaml", "name: c\nturns:\n  - user: hi\n")
    result = run_cli(tmp_path, "--json")
    assert result.exit_code == 2
    message = json.loads(result.stdout)["error"]["message"]
    assert f"{tmp_path / 'a.yaml'}:4: turns.0.expect.intnet" in message
    assert f"{tmp_path / 'b.yaml'}:4: invalid YAML" in message
    assert "c.yaml" not in message


def test_the_cli_table_prints_failures_that_look_like_markup(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that rich does not fold the failure column
    write(tmp_path, "m.yaml", "name: m\nturns:\n  - user: hello\n    expect: {contains: '[/] [bold]x'}\n")
    result = run_cli(tmp_path / "m.yaml")
    assert result.exit_code == 1, result.output
    assert "[/] [bold]x" in " ".join(result.output.split())


def test_the_cli_audio_mode_speaks_typed_turns(run_cli, tmp_path):
    # Fake TTS speaks, fake STT "hears" its script: the turn goes through the audio path.
    write(tmp_path, "a.yaml", "name: a\ncompliance: []\nturns:\n  - user: good morning\n")
    result = run_cli(tmp_path / "a.yaml", "--audio", "--json")
    assert result.exit_code == 0, result.output
    turn = json.loads(result.stdout)["scenarios"]["a"]["runs"][0]["turns"][0]
    assert turn["input_kind"] == "say" and turn["transcript"] == "hello" and "stt" in turn["timings_ms"]


async def test_the_html_timeline_draws_each_stage_in_order_and_marks_first_audio(fake_settings, tmp_path):
    run = await play(fake_settings, tmp_path, "name: t\nturns:\n  - user: hello\n")
    result = run.turns[0].result
    assert result is not None
    result.timings_ms = {"audio": 10.0, "stt": 30.0, "dialog": 10.0, "tts_first_audio": 5.0, "tts": 50.0,
                         "total": 100.0}
    drawn = timeline(result)
    assert [(b["name"], b["left"], b["width"]) for b in drawn["bars"]] == [
        ("audio", 0.0, 10.0), ("stt", 10.0, 30.0), ("dialog", 40.0, 10.0), ("tts", 50.0, 50.0)
    ]
    assert drawn["first_audio"] == 55.0
    page = html_report([run], [])
    assert page.count('class="bar"') == 4 and 'class="marker" style="left:55.0%"' in page
    assert "<script" not in page and "<link" not in page and "src=" not in page  # self-contained


def test_the_cli_shards_play_every_scenario_exactly_once(run_cli, tmp_path):
    for i in range(7):
        write(tmp_path, f"s{i}.yaml", f"name: s{i}\ncompliance: []\nturns:\n  - user: hello\n")
    played: list[str] = []
    for i in (1, 2, 3):
        result = run_cli(tmp_path, "--shard", f"{i}/3", "--json")
        assert result.exit_code == 0, result.output
        names = list(json.loads(result.stdout)["scenarios"])
        assert names, f"shard {i}/3 is empty"
        played += names
    assert sorted(played) == [f"s{i}" for i in range(7)]
    again = run_cli(tmp_path, "--shard", "2/3", "--json")
    assert list(json.loads(again.stdout)["scenarios"]) == played[3:5]  # the same subset every time


def test_an_empty_folder_is_an_input_error_but_an_empty_shard_passes(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    nothing = run_cli(tmp_path / "empty")
    assert nothing.exit_code == 2 and "no scenarios to run" in nothing.output
    write(tmp_path, "s.yaml", "name: s\ncompliance: []\nturns:\n  - user: hello\n")
    junit = tmp_path / "j.xml"
    spare = run_cli(tmp_path / "s.yaml", "--shard", "2/2", "--junit", junit, "--json")
    assert spare.exit_code == 0, spare.output
    assert json.loads(spare.stdout)["scenarios_total"] == 0
    assert ET.parse(junit).getroot().attrib["tests"] == "0"

"""The scenario engine: format and line-accurate errors, checks, runner, reports, shards, gates and baselines."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orchestrator.llm.fake import FakeDialog
from orchestrator.scenarios import ScenarioError, find_scenarios, load_scenario, run_scenario
from orchestrator.scenarios.gates import check_baseline, parse_gate
from orchestrator.scenarios.loader import resolve_audio
from orchestrator.scenarios.report_html import html_report
from orchestrator.scenarios.suite import parse_shard, select_shard
from tests.conftest import make_pipeline

HAPPY = """\
name: happy
tags: [loan]
turns:
  - user: I'd like to borrow 25,000 dollars over 5 years at 6.5 percent
    expect: {intent: loan_quote, state: confirming}
  - user: yes
    expect:
      figures: {payment: 489.15, apr: {value: 6.5, tolerance: 0.01}}
      contains: APR
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- format and errors -------------------------------------------------------------------


def test_a_valid_scenario_loads_and_yes_stays_text(tmp_path):
    loaded = load_scenario(write(tmp_path, "s.yaml", HAPPY))
    assert loaded.name == "happy"
    assert loaded.scenario.turns[1].user == "yes"  # not the YAML 1.1 boolean
    assert loaded.scenario.compliance == ["apr_disclosed", "no_card_numbers", "disclosure_first"]
    figures = loaded.scenario.turns[1].expect.figures
    assert str(figures["payment"].value) == "489.15" and str(figures["apr"].tolerance) == "0.01"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("name: x\nturns:\n  - user: hi: there\n", ":3", "invalid YAML"),
        ("name: x\nturns:\n  - user: hi\n    expect:\n      intnet: greeting\n", ":5", "intnet"),
        ("name: x\nturns:\n  - user: hi\n    say: hello\n", ":3", "exactly one of user, audio or say"),
        ("name: x\nturns:\n  - user: hi\n    expect:\n      regex: '(['\n", ":5", "bad regex"),
        ("name: x\nturns: []\n", ":2", "at least 1"),
        ("name: x\n", ":1", "turns"),
        ("- just\n- a list\n", ":1", "a scenario is a mapping"),
        ("name: x\nturns:\n  - user: hi\n    expect:\n      figures: {payment: lots}\n", ":5", "payment"),
        ("name: x\nturns:\n  - user: hi\n    expect:\n      latency_ms: {dialog: -5}\n", ":5", "greater than 0"),
        ("name: x\nturns:\n  - user: hi\n    expect:\n      wer_max: 0.2\n", ":3", "wer_max only applies"),
        ("name: '../etc'\nturns:\n  - user: hi\n", ":1", "name"),
    ],
)
def test_malformed_files_name_the_file_the_line_and_the_problem(tmp_path, text, where, what):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = info.value.message
    assert message.startswith(f"{path}{where}:"), message
    assert what in message


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "none.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(binary)
    huge = write(tmp_path, "huge.yaml", "# " + "x" * 1_000_001)
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(huge)


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("../secret.wav", "leaves the scenario's folder"),
        ("/etc/passwd", "leaves the scenario's folder"),
        ("sub/../../secret.wav", "leaves the scenario's folder"),
        ("missing.wav", "not found"),
    ],
)
def test_audio_paths_are_checked_when_the_file_loads(tmp_path, name, what):
    folder = tmp_path / "s"
    folder.mkdir()
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    path = write(folder, "a.yaml", f"name: a\nturns:\n  - user: hi\n  - audio: {name}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.message.startswith(f"{path}:4: turns.1.audio: ")
    assert what in info.value.message


def test_audio_paths_may_not_leave_the_scenario_folder_at_run_time(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ok.wav").write_bytes(b"RIFF")
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    loaded = load_scenario(write(folder, "a.yaml", "name: a\nturns:\n  - audio: ok.wav\n"))
    assert resolve_audio(loaded, "ok.wav") == (folder / "ok.wav").resolve()
    with pytest.raises(ScenarioError, match="leaves the scenario's folder"):
        resolve_audio(loaded, "../secret.wav")
    (folder / "ok.wav").unlink()  # gone between loading and playing
    with pytest.raises(ScenarioError, match="not found"):
        resolve_audio(loaded, "ok.wav")


def test_find_scenarios_searches_folders_and_refuses_missing_paths(tmp_path):
    write(tmp_path, "b.yaml", HAPPY)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "a.yml", HAPPY)
    write(tmp_path, "notes.txt", "x")
    assert [p.name for p in find_scenarios([tmp_path])] == ["b.yaml", "a.yml"]
    with pytest.raises(ScenarioError, match="no such file or directory"):
        find_scenarios([tmp_path / "nope"])


# -- running -------------------------------------------------------------------------------


async def test_a_passing_run_checks_expectations_and_compliance(fake_settings, tmp_path):
    pipeline = make_pipeline(fake_settings)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "s.yaml", HAPPY)), pipeline)
    finally:
        pipeline.store.close()
    assert run.passed, run.failures()
    names = [c.name for t in run.turns for c in t.checks]
    assert "compliance disclosure_first" in names and "compliance apr_disclosed" in names
    assert "figure payment" in names
    assert run.checks[0].name == "compliance no_card_numbers (log)" and run.checks[0].passed


async def test_wrong_expectations_fail_with_reasons(fake_settings, tmp_path):
    text = HAPPY.replace("payment: 489.15", "payment: 489.00").replace("contains: APR", "contains: [APR, banana]")
    text += "  - user: hello\n    expect: {latency_ms: {stt: 10}, cache: hit, intent: goodbye}\n"
    pipeline = make_pipeline(fake_settings)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "s.yaml", text)), pipeline)
    finally:
        pipeline.store.close()
    assert not run.passed
    failures = "\n".join(run.failures())
    assert re.search(r"turn 2: figure payment: want 489(\.0+)? ± 0, got 489\.15", failures)
    assert "contains 'banana'" in failures
    assert "stage stt did not run" in failures
    assert "reports no semantic-cache result" in failures
    assert "want goodbye, got greeting" in failures


async def test_a_quote_without_the_apr_and_a_missing_disclosure_fail_compliance(fake_settings, tmp_path):
    dialog = FakeDialog(["Your monthly payment is $489.15."])
    pipeline = make_pipeline(fake_settings.model_copy(update={"disclosure": False}), dialog=dialog)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "s.yaml", "name: c\nturns:\n  - user: quote\n")),
                                 pipeline)
    finally:
        pipeline.store.close()
    failures = "\n".join(run.failures())
    assert "compliance apr_disclosed" in failures
    assert "compliance disclosure_first" in failures


async def test_a_card_number_said_back_is_masked_before_the_card_check_sees_it(fake_settings, tmp_path):
    # A (broken) dialog that echoes a card number in words the redactor never saw.
    dialog = FakeDialog(["I have noted card 4111 1111 1111 1111."])
    pipeline = make_pipeline(fake_settings, dialog=dialog)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "s.yaml", "name: c\nturns:\n  - user: hi\n")),
                                 pipeline)
    finally:
        pipeline.store.close()
    # The tracer redacts the reply before anyone sees it, so the check passes: this is the guarantee.
    assert run.passed, run.failures()
    assert "[CARD]" in (run.turns[0].result.reply if run.turns[0].result else "")


async def test_an_expected_error_passes_and_an_unexpected_one_fails(fake_settings, tmp_path):
    text = "name: e\nturns:\n  - user: '  '\n    expect: {error: empty_text}\n  - user: '   '\n"
    pipeline = make_pipeline(fake_settings)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "s.yaml", text)), pipeline)
    finally:
        pipeline.store.close()
    assert run.turns[0].passed and not run.turns[1].passed
    assert "turn ran" in run.failures()[0]


# -- shards, gates, baselines, reports -----------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_the_scenarios(count):
    items = list(range(20))
    shards = [select_shard(items, i, count) for i in range(1, count + 1)]
    assert sorted(x for shard in shards for x in shard) == items


@pytest.mark.parametrize("bad", ["0/2", "3/2", "a/b", "1", "1/0"])
def test_bad_shards_are_usage_errors(bad):
    with pytest.raises(ScenarioError, match="bad shard"):
        parse_shard(bad)


@pytest.mark.parametrize("bad", ["p99.total=5", "total=5", "p95.total=x", "p50.dialog=-1"])
def test_bad_gates_are_usage_errors(bad):
    with pytest.raises(ScenarioError, match="bad gate"):
        parse_gate(bad)


def test_baseline_regressions_are_found():
    def summary(passed: bool, p50: float) -> dict:
        return {"scenarios": {"a": {"passed": passed, "latency": {"total": {"p50": p50}}}}}

    assert check_baseline(summary(True, 100), summary(True, 100), 0.5, 50) == []
    assert check_baseline(summary(True, 149), summary(True, 66), 0.5, 50) == []
    assert "fails now" in check_baseline(summary(False, 100), summary(True, 100), 0.5, 50)[0]
    assert "p50 total 300" in check_baseline(summary(True, 300), summary(True, 100), 0.5, 50)[0]


def test_the_cli_passes_writes_junit_html_and_a_baseline(run_cli, tmp_path):
    write(tmp_path, "s.yaml", HAPPY)
    junit, html, base = tmp_path / "j.xml", tmp_path / "r.html", tmp_path / "base.json"
    result = run_cli(tmp_path / "s.yaml", "--junit", junit, "--html", html, "--save-baseline", base, "--repeat", "2")
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed" in result.output
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.attrib["tests"] == "2" and root.attrib["failures"] == "0"
    cases = root.findall("./testsuite/testcase")
    assert [c.attrib["name"] for c in cases] == ["happy", "happy [repeat 2]"]
    page = html.read_text(encoding="utf-8")
    assert "class=\"timeline\"" in page and "PASS happy" in page and "http" not in page
    saved = json.loads(base.read_text())
    assert saved["passed"] and saved["scenarios"]["happy"]["latency"]["total"]["n"] == 4
    again = run_cli(tmp_path / "s.yaml", "--baseline", base)
    assert again.exit_code == 0, again.output


def test_the_cli_exits_1_on_a_failing_scenario_and_reports_it(run_cli, tmp_path):
    write(tmp_path, "f.yaml", HAPPY.replace("payment: 489.15", "payment: 1.00"))
    junit = tmp_path / "j.xml"
    result = run_cli(tmp_path / "f.yaml", "--junit", junit, "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["passed"] is False and payload["scenarios_failed"] == 1
    failure = ET.parse(junit).getroot().find("./testsuite/testcase/failure")
    assert failure is not None and "figure payment" in (failure.text or "")


def test_the_cli_exits_1_when_a_gate_or_the_baseline_fails(run_cli, tmp_path):
    write(tmp_path, "s.yaml", HAPPY)
    gated = run_cli(tmp_path / "s.yaml", "--gate", "p95.total=0.0001")
    assert gated.exit_code == 1 and "over the 0.0001 ms gate" in gated.output
    # A baseline p50 no run can stay within (below the fixed 50 ms slack): a latency regression every time.
    base = write(tmp_path, "base.json", json.dumps({"scenarios": {"happy": {"passed": True, "latency": {
        "total": {"p50": -1000}}}}}))
    slower = run_cli(tmp_path / "s.yaml", "--baseline", base, "--latency-tolerance", "0", "--json")
    assert slower.exit_code == 1, slower.output
    report = json.loads(slower.stdout)
    assert report["scenarios_failed"] == 0 and report["passed"] is False
    assert any("ms in the baseline" in g for g in report["gate_failures"])
    failing_before = write(tmp_path, "b2.json", json.dumps({"scenarios": {"happy": {"passed": True}}}))
    write(tmp_path, "s.yaml", HAPPY.replace("payment: 489.15", "payment: 1.00"))
    regressed = run_cli(tmp_path / "s.yaml", "--baseline", failing_before)
    assert regressed.exit_code == 1 and "passed in the baseline, fails now" in regressed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{dir}/bad.yaml"], "bad.yaml:3:"),
        (["{dir}/missing.yaml"], "no such file"),
        (["{dir}/s.yaml", "--shard", "5/2"], "bad shard"),
        (["{dir}/s.yaml", "--gate", "p99.total=1"], "bad gate"),
        (["{dir}/s.yaml", "--baseline", "{dir}/nope.json"], "no such baseline"),
        (["{dir}/s.yaml", "{dir}/copy.yaml"], "names must be unique"),
    ],
)
def test_the_cli_exits_2_on_usage_and_input_errors(run_cli, tmp_path, args, message):
    write(tmp_path, "bad.yaml", "name: x\nturns:\n  - {user: hi, say: hi}\n")
    write(tmp_path, "s.yaml", HAPPY)
    write(tmp_path, "copy.yaml", HAPPY)
    result = run_cli(*[a.format(dir=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_the_html_report_escapes_what_callers_said(fake_settings, tmp_path):
    import asyncio

    text = "name: x\nturns:\n  - user: \"<script>alert(1)</script>\"\n"
    pipeline = make_pipeline(fake_settings)
    try:
        run = asyncio.run(run_scenario(load_scenario(write(tmp_path, "s.yaml", text)), pipeline))
    finally:
        pipeline.store.close()
    page = html_report([run], [])
    assert "<script>" not in page and "&lt;script&gt;" in page

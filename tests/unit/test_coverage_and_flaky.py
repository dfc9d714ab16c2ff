"""run-scenario --coverage (what the suite exercised and never did) and --repeat N flagging flaky scenarios."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from orchestrator.dialog.faq import FAQS
from orchestrator.scenarios.coverage import universe

LOAN = """name: loan
turns:
  - user: borrow 25000 dollars over 60 months at 6.5 percent
  - user: yes
"""
HOURS = """name: hours
turns:
  - user: what are your opening hours?
"""


def suite(tmp_path: Path, *texts: str) -> Path:
    for number, text in enumerate(texts):
        (tmp_path / f"s{number}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_universe_lists_every_intent_state_slot_prompt_and_faq():
    everything = universe()
    assert {"loan_quote", "lost_card", "faq", "repeat", "consent"} <= set(everything["intents"])
    assert everything["states"] == ["start", "collecting_loan", "confirming", "quoted", "handoff", "ended"]
    assert everything["slots"] == ["principal", "term_months", "rate_percent"]
    assert {"GREETING", "ASK.principal", "ASK.rate_percent", "NOT_AN_OFFER"} <= set(everything["prompts"])
    # the pipeline's consent answers are prompts a caller hears too
    assert {"CONSENT_THANKS", "CONSENT_DECLINED", "CONSENT_WITHDRAWN"} <= set(everything["prompts"])
    assert everything["faqs"] == [faq.id for faq in FAQS]


def test_coverage_reports_what_ran_and_lists_what_never_did(run_cli: Callable[..., Result], tmp_path: Path):
    result = run_cli(suite(tmp_path, LOAN, HOURS), "--coverage", "--json")
    assert result.exit_code == 0, result.stdout
    covered = json.loads(result.stdout)["coverage"]
    assert set(covered) == {"intents", "slots", "states", "prompts", "faqs"}
    assert {"loan_quote", "faq"} <= set(covered["intents"]["exercised"])
    assert "lost_card" in covered["intents"]["missed"]
    assert covered["slots"]["missed"] == [] and covered["slots"]["ratio"] == 1.0
    assert set(covered["states"]["exercised"]) == {"confirming", "quoted", "start"}
    assert "ESTIMATE_LEAD" in covered["prompts"]["exercised"] and "GOODBYE" in covered["prompts"]["missed"]
    assert covered["faqs"]["exercised"] == ["opening_hours"] and len(covered["faqs"]["missed"]) == len(FAQS) - 1
    for part in covered.values():
        assert len(part["exercised"]) + len(part["missed"]) == part["total"]


def test_the_coverage_table_names_what_was_never_exercised(run_cli: Callable[..., Result], tmp_path: Path):
    table = " ".join(run_cli(suite(tmp_path, HOURS), "--coverage").stdout.split())
    assert "coverage" in table and "lost_card" in table and "documents_loan" in table
    assert "--coverage" not in table and "coverage" not in " ".join(run_cli(suite(tmp_path, HOURS)).stdout.split())


def test_a_prompt_counts_once_a_reply_says_it(run_cli: Callable[..., Result], tmp_path: Path):
    covered = json.loads(run_cli(suite(tmp_path, "name: l\nturns:\n  - user: I need a loan\n"), "--coverage",
                                 "--json").stdout)["coverage"]
    assert "ASK.principal" in covered["prompts"]["exercised"]
    assert "ASK.rate_percent" in covered["prompts"]["missed"]


@pytest.fixture
def alternating(run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A scripted dialog that says alpha once, then beta for ever: a scenario expecting alpha is flaky."""
    monkeypatch.setenv("VOICEBOT_LLM", "fake")
    monkeypatch.setenv("VOICEBOT_FAKE_REPLIES", "alpha|beta")
    monkeypatch.setenv("VOICEBOT_DISCLOSURE", "false")
    monkeypatch.setenv("VOICEBOT_CACHE", "false")  # a cached "hi" would answer the same in every run
    return suite(tmp_path, "name: wobbly\ncompliance: []\nturns:\n  - user: hi\n    expect: {contains: alpha}\n",
                 "name: steady\ncompliance: []\nturns:\n  - user: hi\n")


def test_repeat_flags_a_scenario_that_passes_sometimes_as_flaky(run_cli, alternating: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    junit, html = tmp_path / "r.xml", tmp_path / "r.html"
    result = run_cli(alternating, "--repeat", "3", "--json", "--junit", junit, "--html", html)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["scenarios_flaky"] == ["wobbly"]
    assert summary["scenarios"]["wobbly"]["pass_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert summary["scenarios"]["steady"] == {**summary["scenarios"]["steady"], "flaky": False, "pass_rate": 1.0}
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    flaky = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in cases}
    assert flaky["wobbly"] == {"flaky": "true", "pass_rate": "0.333"}
    assert flaky["steady"] == {}
    assert "FLAKY: passed 33% of its runs" in " ".join(html.read_text(encoding="utf-8").split())
    # Backends are loaded once per process: a fresh script (another key) starts again at alpha.
    monkeypatch.setenv("VOICEBOT_FAKE_REPLIES", "alpha|beta|beta")
    table = " ".join(run_cli(alternating, "--repeat", "3").stdout.split())
    assert "FLAKY" in table


def test_a_scenario_that_always_fails_is_not_flaky(run_cli, alternating: Path):
    (alternating / "s0.yaml").write_text(
        "name: wobbly\ncompliance: []\nturns:\n  - user: hi\n    expect: {contains: gamma}\n", encoding="utf-8")
    summary = json.loads(run_cli(alternating, "--repeat", "3", "--json").stdout)
    assert summary["scenarios_flaky"] == [] and summary["scenarios"]["wobbly"]["pass_rate"] == 0.0

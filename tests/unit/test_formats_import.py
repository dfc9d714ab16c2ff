"""Botium, Rasa and Pipecat files into scenarios: what maps, and everything that does not is listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.scenarios.formats import IMPORTERS
from orchestrator.scenarios.formats.botium import import_botium, parse_args, wildcard_regex
from orchestrator.scenarios.formats.pipecat import import_pipecat
from orchestrator.scenarios.formats.rasa import import_rasa
from orchestrator.scenarios.loader import ScenarioError
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


def dropped(conversion: object) -> list[str]:
    return [u.what for u in conversion.unmapped if u.kind == "dropped"]  # type: ignore[attr-defined]


def test_botium_messages_intents_and_text_asserters_map():
    out = import_botium(FIXTURES / "loan-quote.convo.txt")
    (scenario,) = out.scenarios
    assert scenario["name"] == "Loan quote from the QA team" and "QA team" in scenario["description"]
    first, second, third = scenario["turns"]
    assert first["user"].startswith("I'd like to borrow 25,000 dollars")
    assert first["expect"]["intent"] == "loan_quote"
    assert first["expect"]["regex"] == [r"(?i)just\ to\ confirm.*\$25,000.*60\ months.*6\.5%"]
    assert second["expect"]["contains"] == ["monthly payment", "$489.15", "APR"]
    assert second["expect"]["not_contains"] == ["$0.00"]
    assert third["user"] == "thanks, goodbye"  # GOODBYE_WORDS from goodbye.utterances.txt
    assert dropped(out) == []
    assert {u.what for u in out.unmapped} == {"TEXT_CONTAINS_ALL", "utterances GOODBYE_WORDS"}


def test_botium_features_without_an_equivalent_are_listed_with_their_lines():
    out = import_botium(FIXTURES / "exotic.convo.txt")
    where = {u.what: u.where for u in out.unmapped}
    assert set(dropped(out)) == {"#begin section", "#bot before any #me", "PAUSE 500", "BUTTONS Loans|Cards",
                                 "?INTENT help", "MEDIA logo.png", "#end section"}
    assert where["BUTTONS Loans|Cards"] == "exotic.convo.txt:13"
    assert out.scenarios[0]["turns"] == [{"user": "show me the menu",
                                          "expect": {"regex": [r"(?i)(?:^I\ can\ help\ with\ loans$)"]}}]


def test_botium_arguments_and_wildcards():
    assert parse_args(r"a | b\|c|d") == ["a", "b|c", "d"]
    assert wildcard_regex("total * APR") == r"(?i)total\ .*\ APR"


def test_rasa_test_cases_become_one_scenario_each():
    out = import_rasa(FIXTURES / "e2e_test_cases.yml")
    names = [s["name"] for s in out.scenarios]
    assert names == ["loan quote happy path", "lost card goes to the card team", "greeting then opening hours"]
    loan = out.scenarios[0]["turns"]
    assert loan[0]["expect"]["intent"] == "loan_quote"
    assert loan[0]["expect"]["slots"] == {"principal": 25000, "term_months": 60}
    assert loan[1]["expect"]["tool_calls"] == [{"name": "loan_quote"}]
    assert loan[1]["expect"]["slots"] == {"rate_percent": 6.5}
    assert loan[1]["expect"]["contains"] == ["This is an estimate, not an offer."]
    lost = out.scenarios[1]["turns"][0]["expect"]
    assert lost["intent"] == "lost_card" and lost["contains"][0].startswith("I'm sorry to hear that.")
    hours = out.scenarios[2]["turns"][1]["expect"]
    assert hours["tool_calls"] == [{"name": "bank_faq"}] and hours["not_contains"] == ["I can't help"]
    assert "relevant" in hours["judge"]
    assert dropped(out) == ["fixtures", "fixtures", "step slot_was_not_set"]


def test_rasa_steps_we_cannot_check_are_listed_not_dropped(tmp_path: Path):
    path = tmp_path / "e2e_test_cases.yml"
    path.write_text("""test_cases:
  - test_case: odd
    steps:
      - bot: "Welcome!"
      - user: "hi"
        assertions:
          - flow_started: pattern_search
          - slot_was_set:
              - name: account_type
                value: savings
              - name: principal
          - action_executed: action_check_balance
          - pattern_clarification_contains: [transfer_money]
      - utter: utter_custom_thing
""", encoding="utf-8")
    out = import_rasa(path)
    assert out.scenarios[0]["turns"] == [{"user": "hi"}]
    whats = dropped(out)
    assert "bot" in whats and "slot_was_set account_type" in whats and "slot_was_set principal" in whats
    assert any(w.startswith("flow_started") for w in whats) and any(w.startswith("action_executed") for w in whats)
    assert any(w.startswith("pattern_clarification_contains") for w in whats) and "utter utter_custom_thing" in whats


def test_pipecat_turns_tool_calls_judges_and_budgets_map():
    out = import_pipecat(FIXTURES / "pipecat" / "loan_quote.yaml")
    (scenario,) = out.scenarios
    assert scenario["name"] == "loan quote function call"
    first, second = scenario["turns"]
    assert first["expect"] == {"contains": ["Just to confirm"], "no_tool_calls": True}
    assert second["expect"]["tool_calls"] == [{"name": "loan_quote", "args": {"principal": 25000}}]
    assert second["expect"]["judge"] == "the bot states the monthly payment and the APR"
    assert second["expect"]["latency_ms"] == {"total": 5000.0}
    assert set(dropped(out)) == {
        "a turn without user text", "event user_transcription", "dtmf", "function_call.within_ms",
    }


def test_pipecat_audio_modality_turns_are_spoken_and_includes_stay_in_the_folder(tmp_path: Path):
    (tmp_path / "user_audio.yaml").write_text("modality: audio\nspeech: {service: kokoro, voice: af_heart}\n",
                                               encoding="utf-8")
    (tmp_path / "s.yaml").write_text("name: spoken\nuser: !include user_audio.yaml\nturns:\n  - user: hello\n",
                                     encoding="utf-8")
    assert import_pipecat(tmp_path / "s.yaml").scenarios[0]["turns"] == [{"say": "hello"}]
    (tmp_path / "evil.yaml").write_text("name: e\nuser: !include ../../etc/passwd\nturns: []\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="leaves the scenario's folder"):
        import_pipecat(tmp_path / "evil.yaml")


@pytest.mark.parametrize(("source", "content", "problem"), [
    ("rasa", "stories: []\n", "not a Rasa end-to-end test file"),
    ("pipecat", "name: x\n", "not a Pipecat eval scenario"),
    ("rasa", "a: &a [*a, *a]\ntest_cases: *a\n", "invalid YAML|nodes"),
    ("botium", b"\xff\xfe\x00bad", "not UTF-8"),
])
def test_files_that_are_not_the_format_are_refused(tmp_path: Path, source: str, content: str | bytes, problem: str):
    path = tmp_path / "input"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ScenarioError, match=problem):
        IMPORTERS[source](path)


def test_a_convo_with_nothing_to_say_yields_no_scenario_and_says_why(tmp_path: Path):
    path = tmp_path / "empty.convo.txt"
    path.write_text("Only a bot\n\n#bot\nHello\n", encoding="utf-8")
    out = import_botium(path)
    assert out.scenarios == [] and "no turn could be converted" in [u.why for u in out.unmapped]

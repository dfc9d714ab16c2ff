"""--caller llm: the configured LLM plays the goal's caller (real openai SDK against the loopback server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.llm_server import FakeLLMServer, error, text_reply

GOAL = """name: g
settings: {llm: rules}
goal:
  principal: 18000
  rate: 4.9
  term_months: 36
  persona: hesitant
  fallback: {term_months: 24}
  expect: {outcome: reached, max_turns: 6}
"""


@pytest.fixture
def llm_caller(run_cli: Callable[..., Result], llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
               tmp_path: Path) -> Callable[..., Result]:
    monkeypatch.setenv("VOICEBOT_LLM", "openai")
    monkeypatch.setenv("VOICEBOT_OPENAI_URL", f"{llm_server.url}/v1")
    monkeypatch.setenv("VOICEBOT_OPENAI_MODEL", "caller-model")
    path = tmp_path / "g.yaml"
    path.write_text(GOAL, encoding="utf-8")
    return lambda *args: run_cli(path, "--caller", "llm", "--json", *args)


def goal_of(result: Result) -> dict[str, object]:
    return dict(json.loads(result.stdout)["scenarios"]["g"]["runs"][0]["goal"])


def test_the_llm_caller_reaches_the_goal_line_by_line(llm_caller, llm_server: FakeLLMServer):
    llm_server.queue(*(text_reply(line) for line in (
        "Um, hi, I'd like a loan.", "Eighteen thousand dollars.", "Uh, three years.", "Four point nine percent.",
        "Yes, please.",
    )))
    result = llm_caller()
    assert result.exit_code == 0, result.stdout
    goal = goal_of(result)
    assert goal["outcome"] == "reached" and goal["caller_turns"] == 5
    brief = llm_server.requests[0].body["messages"][0]["content"]
    assert "borrowing 18000 dollars at 4.9 percent a year over 36 months" in brief
    assert "hesitant" in brief and "accept 24 instead" in brief
    second = llm_server.requests[1].body["messages"]
    assert second[-1]["role"] == "user" and "How much would you like to borrow?" in second[-1]["content"]
    assert [m["role"] for m in second[-3:]] == ["user", "assistant", "user"]


def test_give_up_marker_ends_the_call_after_its_words(llm_caller, llm_server: FakeLLMServer):
    llm_server.queue(text_reply("Hi, a loan please."), text_reply("Actually, forget it. Goodbye. [GIVE UP]"))
    result = llm_caller()
    goal = goal_of(result)
    assert result.exit_code == 1 and goal["outcome"] == "gave_up"
    lines = goal["lines"]
    assert isinstance(lines, list) and lines[-1]["text"] == "Actually, forget it. Goodbye."


def test_a_failing_llm_caller_ends_the_goal_as_caller_failed(llm_caller, llm_server: FakeLLMServer):
    llm_server.queue(text_reply("Hi, a loan please."), error(500, "down"), error(500, "down"), error(500, "down"))
    result = llm_caller()
    assert result.exit_code == 1
    goal = goal_of(result)
    assert goal["outcome"] == "caller_failed" and "the LLM caller failed" in str(goal["detail"])


def test_caller_llm_without_an_llm_is_a_usage_error(run_cli: Callable[..., Result], tmp_path: Path):
    path = tmp_path / "g.yaml"
    path.write_text(GOAL, encoding="utf-8")
    result = run_cli(path, "--caller", "llm")
    assert result.exit_code == 2 and "--caller llm needs an LLM" in result.output

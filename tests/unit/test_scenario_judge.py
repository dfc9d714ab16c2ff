"""judge: "rubric": the configured LLM's verdict (real openai/mistralai SDKs against the loopback server), cached."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.llm_server import FakeLLMServer, error, text_reply

SCENARIO = """name: j
compliance: []
settings: {{llm: rules}}
turns:
  - user: {user}
    expect:
      judge: {rubric}
"""
PASS = '{"verdict": "pass", "reasoning": "The bot greets the caller and offers help."}'
FAIL = 'Here you are: {"verdict": "fail", "reasoning": "The bot never mentions the APR."}'


@pytest.fixture
def judged(run_cli: Callable[..., Result], llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
           ) -> Callable[..., Result]:
    """run-scenario with VOICEBOT_LLM=openai on the loopback server (the scenario's own bot stays rules)."""
    monkeypatch.setenv("VOICEBOT_LLM", "openai")
    monkeypatch.setenv("VOICEBOT_OPENAI_URL", f"{llm_server.url}/v1")
    monkeypatch.setenv("VOICEBOT_OPENAI_MODEL", "judge-model")
    monkeypatch.setenv("VOICEBOT_LLM_RETRIES", "0")
    return run_cli


def write(tmp_path: Path, user: str = "hello", rubric: str = "The bot greets the caller.") -> Path:
    path = tmp_path / "j.yaml"
    path.write_text(SCENARIO.format(user=json.dumps(user), rubric=json.dumps(rubric)), encoding="utf-8")
    return path


def judge_check(result: Result) -> dict[str, object]:
    turn = json.loads(result.stdout)["scenarios"]["j"]["runs"][0]["turns"][0]
    return next(c for c in turn["checks"] if c["name"] == "judge")


def test_a_pass_verdict_passes_with_its_reasoning_and_a_rerun_uses_the_cache(judged, llm_server, tmp_path: Path):
    llm_server.queue(text_reply(PASS))
    first = judged(write(tmp_path), "--json")
    assert first.exit_code == 0, first.stdout
    check = judge_check(first)
    assert check["status"] == "passed" and "greets the caller" in str(check["detail"])
    assert "openai:judge-model" in str(check["detail"])
    sent = llm_server.requests[0].body
    assert sent["model"] == "judge-model" and "tools" not in sent
    assert "Rubric: The bot greets the caller." in sent["messages"][1]["content"]
    again = judged(write(tmp_path), "--json")  # nothing queued: a second request would get a 500
    assert len(llm_server.requests) == 1 and judge_check(again)["status"] == "passed"
    assert "cached" in str(judge_check(again)["detail"])


def test_another_rubric_is_judged_afresh(judged, llm_server, tmp_path: Path):
    llm_server.queue(text_reply(PASS), text_reply(PASS))
    judged(write(tmp_path), "--json")
    judged(write(tmp_path, rubric="The bot is polite."), "--json")
    assert len(llm_server.requests) == 2


def test_a_fail_verdict_fails_the_run_and_its_reasoning_reaches_every_report(judged, llm_server, tmp_path: Path):
    llm_server.queue(text_reply(FAIL))
    junit, html = tmp_path / "r.xml", tmp_path / "r.html"
    result = judged(write(tmp_path), "--json", "--junit", junit, "--html", html)
    assert result.exit_code == 1
    assert judge_check(result)["status"] == "failed"
    assert "never mentions the APR" in json.loads(result.stdout)["scenarios"]["j"]["runs"][0]["failures"][0]
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and "judge: FAILED" in (case.findtext("system-out") or "")
    assert "never mentions the APR" in html.read_text(encoding="utf-8")
    table = " ".join(judged(write(tmp_path)).stdout.split())  # the verdict is cached now; the table wraps lines
    assert "judge FAIL" in table and "never mentions the APR" in table


def test_an_answer_that_is_not_a_verdict_fails_and_is_not_cached(judged, llm_server, tmp_path: Path):
    llm_server.queue(text_reply("I think it went fine."), text_reply(PASS))
    bad = judged(write(tmp_path), "--json")
    assert bad.exit_code == 1 and "not a verdict" in str(judge_check(bad)["detail"])
    assert judged(write(tmp_path), "--json").exit_code == 0
    assert len(llm_server.requests) == 2


def test_a_judge_server_error_fails_the_check(judged, llm_server, tmp_path: Path):
    llm_server.queue(error(401, "bad key"))
    result = judged(write(tmp_path), "--json")
    assert result.exit_code == 1 and "the judge LLM failed" in str(judge_check(result)["detail"])


def test_the_judge_sees_the_transcript_redacted(judged, llm_server, tmp_path: Path):
    llm_server.queue(text_reply(PASS))
    judged(write(tmp_path, user="my card 4111 1111 1111 1111 was stolen"), "--json")
    content = llm_server.requests[0].body["messages"][1]["content"]
    assert "caller: my card" in content and "4111" not in content


def test_without_an_llm_the_judge_is_not_run_never_passed_and_fails_nothing(run_cli, tmp_path: Path):
    junit, html = tmp_path / "r.xml", tmp_path / "r.html"
    result = run_cli(write(tmp_path), "--json", "--junit", junit, "--html", html)
    assert result.exit_code == 0
    check = judge_check(result)
    assert check["status"] == "not_run" and check["passed"] is False and "VOICEBOT_LLM" in str(check["detail"])
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and case.find("failure") is None and "judge: NOT RUN" in (case.findtext("system-out") or "")
    assert "not run: no LLM" in html.read_text(encoding="utf-8")
    assert "judge not run" in " ".join(run_cli(write(tmp_path)).stdout.split())


def test_the_mistral_sdk_judges_too(run_cli, llm_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VOICEBOT_LLM", "mistral")
    monkeypatch.setenv("VOICEBOT_MISTRAL_URL", llm_server.url)
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    llm_server.queue(text_reply(PASS))
    result = run_cli(write(tmp_path), "--json")
    assert result.exit_code == 0, result.stdout
    assert "mistral:" in str(judge_check(result)["detail"])
    assert llm_server.requests[0].path.endswith("/v1/chat/completions") and "tools" not in llm_server.requests[0].body

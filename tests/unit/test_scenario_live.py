"""Live scenarios: barge-ins and endpoint expectations, played on an open line through the hands-free engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.scenarios import ScenarioError, load_scenario, run_scenario
from orchestrator.scenarios.live import is_live
from orchestrator.stt.fake import FakeSTT
from tests.conftest import make_pipeline


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "live.yaml"
    path.write_text(body)
    return path


LIVE = """
name: live
tags: [audio]
turns:
  - say: What are your opening hours?
    expect: {split: false, endpoint_ms: 400, contains: Monday to Friday}
  - say: Actually what is my balance?
    interrupt_after_ms: 1500
    expect: {split: false, intent: balance}
"""


def test_a_scenario_with_a_barge_in_or_an_endpoint_expectation_is_played_live(tmp_path: Path) -> None:
    assert is_live(load_scenario(_write(tmp_path, LIVE)).scenario)
    plain = LIVE.replace("split: false, endpoint_ms: 400, ", "").replace("    interrupt_after_ms: 1500\n", "")
    plain = plain.replace("split: false, ", "")
    assert not is_live(load_scenario(_write(tmp_path, plain)).scenario)


@pytest.mark.parametrize("key", ["interrupt_after_ms: 100", "expect: {split: false}", "expect: {endpoint_ms: 500}"])
def test_live_keys_on_a_typed_turn_are_a_clear_error(tmp_path: Path, key: str) -> None:
    with pytest.raises(ScenarioError, match="only applies to audio or say turns"):
        load_scenario(_write(tmp_path, f"name: typed\nturns:\n  - user: hello\n    {key}\n"))


@pytest.mark.asyncio
async def test_a_barge_in_scripted_in_a_scenario_stops_the_reply_and_its_checks_pass(
    fake_settings: Settings, tmp_path: Path
) -> None:
    settings = fake_settings.model_copy(update={"vad": "level", "endpoint_stop_ms": 300})
    pipeline = make_pipeline(settings, stt=FakeSTT(["What are your opening hours?", "Actually what is my balance?"]))
    run = await run_scenario(load_scenario(_write(tmp_path, LIVE)), pipeline)

    assert run.passed, run.failures()
    first, second = run.turns
    assert {c.name for c in first.checks} >= {"split", "endpoint_ms"}
    barge = next(c for c in second.checks if c.name == "barge-in")
    assert barge.passed
    assert second.result is not None and second.result.intent == "balance"
    pipeline.store.close()


@pytest.mark.asyncio
async def test_an_endpoint_budget_the_turn_overran_fails_with_the_measured_delay(
    fake_settings: Settings, tmp_path: Path
) -> None:
    settings = fake_settings.model_copy(update={"vad": "level", "endpoint_stop_ms": 300})
    pipeline = make_pipeline(settings, stt=FakeSTT(["What are your opening hours?"]))
    body = "name: tight\ntags: [audio]\nturns:\n  - say: What are your opening hours?\n    expect: {endpoint_ms: 200}\n"
    run = await run_scenario(load_scenario(_write(tmp_path, body)), pipeline)

    assert not run.passed
    assert any("endpoint_ms" in f and "budget 200" in f for f in run.failures()), run.failures()
    pipeline.store.close()

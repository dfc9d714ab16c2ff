"""Goal scenarios played end to end on the rules dialog: outcomes, the domain's figures, turn counts, handoffs."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.dialog.rules import RulesDialog
from orchestrator.llm.base import DialogTurn
from orchestrator.scenarios import load_scenario, run_scenario
from orchestrator.scenarios.evaluation import Evaluation
from orchestrator.scenarios.loader import ScenarioError
from orchestrator.scenarios.runner import ScenarioRun
from tests.conftest import make_pipeline

GOAL = """name: g
goal:
  principal: 18000
  rate: 4.9
  term_months: 36
  persona: {persona}
{extra}"""


class OffByACent(RulesDialog):
    """A rules dialog whose quoted payment is a cent too high, in its words and its figures."""

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        turn = super().reply(user_text, memory)
        if "payment" not in turn.figures:
            return turn
        right = Decimal(turn.figures["payment"])
        wrong = right + Decimal("0.01")
        return dataclasses.replace(
            turn, text=turn.text.replace(f"${right:,.2f}", f"${wrong:,.2f}"),
            figures={**turn.figures, "payment": str(wrong)},
        )


async def play(tmp_path: Path, settings: Settings, text: str, *, dialog: Any = None, seed: int = 0) -> ScenarioRun:
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    pipeline = make_pipeline(settings, dialog=dialog)
    try:
        return await run_scenario(load_scenario(path), pipeline, evaluation=Evaluation(seed=seed))
    finally:
        pipeline.store.close()


def checks(run: ScenarioRun) -> dict[str, bool]:
    return {c.name: c.passed for c in run.checks if c.name.startswith("goal")}


async def test_a_goal_is_reached_with_the_domains_figures(tmp_path: Path, fake_settings: Settings):
    run = await play(tmp_path, fake_settings, GOAL.format(persona="joe", extra="  expect: {max_turns: 5}"))
    assert run.passed, run.failures()
    assert run.goal is not None and run.goal["outcome"] == "reached" and run.goal["caller_turns"] == 5
    assert checks(run) == {"goal outcome": True, "goal figures": True, "goal turns": True, "goal no handoff": True}
    assert run.turns[-1].result is not None and run.turns[-1].result.figures["payment"] == "538.67"


async def test_a_quote_a_cent_off_fails_the_goal_figures_and_figures_consistent(tmp_path: Path, fake_settings):
    run = await play(tmp_path, fake_settings, GOAL.format(persona="joe", extra=""), dialog=OffByACent())
    assert run.goal is not None and run.goal["outcome"] == "reached"  # the caller got a quote...
    assert checks(run)["goal figures"] is False  # ...with the wrong payment
    last = {c.name: c for c in run.turns[-1].checks}
    assert not last["figures_consistent"].passed and "$538.68" in last["figures_consistent"].detail


async def test_too_few_turns_for_the_goal_ends_with_max_turns(tmp_path: Path, fake_settings: Settings):
    text = GOAL.format(persona="joe", extra="  max_turns: 2")
    run = await play(tmp_path, fake_settings, text)
    assert run.goal is not None and run.goal["outcome"] == "max_turns" and len(run.turns) == 2
    assert not run.passed and checks(run)["goal outcome"] is False


async def test_a_handoff_ends_the_call_and_fails_a_goal_that_forbids_one(tmp_path: Path, fake_settings: Settings):
    class HandsOff(RulesDialog):
        def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
            return super().reply("I want to talk to a person", memory)

    run = await play(tmp_path, fake_settings, GOAL.format(persona="joe", extra=""), dialog=HandsOff())
    assert run.goal is not None and run.goal["outcome"] == "handoff" and len(run.turns) == 1
    assert checks(run) == {"goal outcome": False, "goal no handoff": False}
    expected = GOAL.format(persona="joe", extra="  expect: {outcome: handoff}")
    assert (await play(tmp_path, fake_settings, expected, dialog=HandsOff())).passed


async def test_a_caller_refused_with_no_fallback_gives_up_without_a_quote(tmp_path: Path, fake_settings: Settings):
    text = GOAL.format(persona="joe", extra="  expect: {outcome: gave_up}").replace("18000", "50")
    run = await play(tmp_path, fake_settings, text)
    assert run.passed, run.failures()
    assert all(t.result is None or "payment" not in t.result.figures for t in run.turns)


async def test_scripted_turns_play_first_and_the_goal_continues_the_same_session(tmp_path, fake_settings):
    text = GOAL.format(persona="chatty", extra="turns:\n  - user: hello\n    expect: {intent: greeting}\n")
    run = await play(tmp_path, fake_settings, text)
    assert run.passed, run.failures()
    assert run.turns[0].user == "hello" and len({t.result.session_id for t in run.turns if t.result}) == 1


async def test_the_seed_of_a_repeat_is_the_base_seed_plus_the_repeat(tmp_path: Path, fake_settings: Settings):
    path = tmp_path / "g.yaml"
    path.write_text(GOAL.format(persona="hesitant", extra=""), encoding="utf-8")
    pipeline = make_pipeline(fake_settings)
    runs = [await run_scenario(load_scenario(path), pipeline, repeat=r, evaluation=Evaluation(seed=10))
            for r in (0, 1, 0)]
    pipeline.store.close()
    assert [r.goal["seed"] for r in runs if r.goal] == [10, 11, 10]
    assert [t.user for t in runs[0].turns] == [t.user for t in runs[2].turns]


@pytest.mark.parametrize(("text", "problem"), [
    ("name: x\n", "at least 1 item (or give the scenario a goal)"),
    (GOAL.format(persona="shouty", extra=""), "unknown persona 'shouty'"),
    (GOAL.format(persona="joe", extra="  order: [rate, rate]"), "order names a slot twice"),
    (GOAL.format(persona="joe", extra="  expect: {outcome: won}"), "goal.expect.outcome"),
])
def test_bad_goals_are_refused_with_the_line(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_scenario(path)

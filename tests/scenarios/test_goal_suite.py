"""The shipped goal scenarios: every slot order, corrections and out-of-range values, passing on more seeds.

``test_shipped`` plays each of them at seed 0; here they play seeds 1 and 2 too
(``run-scenario scenarios/goals --repeat 5`` plays five).
"""

from __future__ import annotations

from itertools import permutations

import pytest

from orchestrator.scenarios import LoadedScenario, Pipelines, find_scenarios, load_scenario, run_scenario
from orchestrator.scenarios.evaluation import Evaluation
from tests.conftest import REPO_ROOT

GOALS = [load_scenario(p) for p in find_scenarios([REPO_ROOT / "scenarios" / "goals"])]


def test_at_least_ten_goal_scenarios_cover_every_slot_order_corrections_and_out_of_range_values():
    goals = [s.scenario.goal for s in GOALS if s.scenario.goal is not None]
    assert len(goals) >= 10
    orders = {tuple(g.order) for g in goals if g.order}
    assert orders >= set(permutations(("principal", "term_months", "rate")))
    assert sum(bool(g.slips) for g in goals) >= 2
    out_of_range = [g for g in goals if g.principal < 100 or g.principal > 10_000_000 or g.rate > 100
                    or g.term_months > 600]
    assert {g.expect.outcome for g in out_of_range} == {"reached", "gave_up"}  # settled for less, or hung up
    assert {g.persona for g in goals} >= {"joe", "hesitant", "colloquial", "terse", "chatty", "corrector"}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("loaded", GOALS, ids=[s.path.stem for s in GOALS])
async def test_shipped_goal_scenario_passes_on_other_seeds(loaded: LoadedScenario, pipelines: Pipelines, seed: int):
    run = await run_scenario(loaded, pipelines.for_scenario(loaded), evaluation=Evaluation(seed=seed))
    assert run.passed, "\n".join(run.failures())

"""Scenario regression suite: YAML conversations with expectations, run headless or in the browser."""

from orchestrator.scenarios.loader import LoadedScenario, ScenarioError, find_scenarios, load_scenario
from orchestrator.scenarios.model import Scenario
from orchestrator.scenarios.runner import Pipelines, ScenarioRun, TurnRun, run_scenario

__all__ = [
    "LoadedScenario",
    "Pipelines",
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "TurnRun",
    "find_scenarios",
    "load_scenario",
    "run_scenario",
]

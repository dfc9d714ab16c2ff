"""Run many scenarios: repeats, concurrent workers, shards, and one summary of it all."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.evaluation import Evaluation
from orchestrator.scenarios.gates import latency_percentiles
from orchestrator.scenarios.loader import LoadedScenario, ScenarioError
from orchestrator.scenarios.runner import Pipelines, ScenarioRun, run_scenario

__all__ = ["SuiteResult", "parse_shard", "pass_rates", "run_suite", "select_shard", "verdicts"]


def pass_rates(runs: list[ScenarioRun]) -> dict[str, float]:
    """Each scenario's share of passing runs; strictly between 0 and 1 means flaky."""
    grouped: dict[str, list[bool]] = defaultdict(list)
    for run in runs:
        grouped[run.name].append(run.passed)
    return {name: sum(results) / len(results) for name, results in grouped.items()}


def verdicts(run: ScenarioRun) -> list[tuple[str, CheckResult]]:
    """Where and what each judge said (or that it did not run), and any other check that did not run."""
    found: list[tuple[str, CheckResult]] = []
    for turn in run.turns:
        found += [(f"turn {turn.index + 1}", c) for c in turn.checks if "judge" in c.name or c.not_run]
    found += [("scenario", c) for c in run.checks if "judge" in c.name or c.not_run]
    return found


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); 1-based, raises ``ScenarioError`` when malformed."""
    try:
        left, right = text.split("/", 1)
        index, count = int(left), int(right)
    except ValueError:
        raise ScenarioError(f"bad shard {text!r}: write it as i/n, for example 1/4") from None
    if not 1 <= index <= count:
        raise ScenarioError(f"bad shard {text!r}: i must be between 1 and n")
    return index, count


def select_shard(items: list[Any], index: int, count: int) -> list[Any]:
    """Every ``count``-th item starting at ``index`` (1-based): shards partition the list."""
    return [item for position, item in enumerate(items) if position % count == index - 1]


@dataclass
class SuiteResult:
    """Every run, grouped by scenario, with the wall time of the whole suite."""

    runs: list[ScenarioRun] = field(default_factory=list)
    wall_s: float = 0.0  # playing the scenarios, after the models loaded
    load_s: float = 0.0  # building the pipelines (loading models) before the first turn

    def by_scenario(self) -> dict[str, list[ScenarioRun]]:
        """Runs grouped by scenario name, in run order."""
        grouped: dict[str, list[ScenarioRun]] = defaultdict(list)
        for run in self.runs:
            grouped[run.name].append(run)
        return dict(grouped)

    @property
    def turns(self) -> int:
        """Turns played in all runs."""
        return sum(len(r.turns) for r in self.runs)

    def summary(self, gate_failures: list[str]) -> dict[str, Any]:
        """The JSON report (also the baseline format)."""
        rates = pass_rates(self.runs)
        scenarios = {
            name: {
                "path": runs[0].path,
                "passed": all(r.passed for r in runs),
                "pass_rate": round(rates[name], 4),
                "flaky": 0 < rates[name] < 1,
                "latency": latency_percentiles(runs),
                "runs": [r.as_dict() for r in runs],
            }
            for name, runs in self.by_scenario().items()
        }
        failed = sum(not s["passed"] for s in scenarios.values())
        return {
            "passed": failed == 0 and not gate_failures,
            "scenarios_total": len(scenarios),
            "scenarios_failed": failed,
            "scenarios_flaky": sorted(name for name, s in scenarios.items() if s["flaky"]),
            "runs": len(self.runs),
            "turns": self.turns,
            "load_s": round(self.load_s, 3),
            "wall_s": round(self.wall_s, 3),
            "turns_per_s": round(self.turns / self.wall_s, 2) if self.wall_s else None,
            "gate_failures": gate_failures,
            "scenarios": scenarios,
        }


async def run_suite(
    scenarios: list[LoadedScenario],
    pipelines: Pipelines,
    *,
    repeat: int = 1,
    workers: int = 1,
    audio_mode: bool = False,
    on_run: Callable[[ScenarioRun], None] | None = None,
    default_compliance: frozenset[str] | None = None,
    evaluation: Evaluation | None = None,
) -> SuiteResult:
    """Run every scenario ``repeat`` times, at most ``workers`` at once, each in a fresh session.

    The workers are asyncio tasks sharing ``pipelines``, so each model loads once.
    """
    semaphore = asyncio.Semaphore(max(1, workers))
    result = SuiteResult()
    loading = time.perf_counter()
    for loaded in scenarios:
        # Load each backend choice once, up front, so turns per second measures turns; a choice
        # that cannot load is retried (and reported) by its own scenario below.
        with contextlib.suppress(Exception):
            pipelines.for_scenario(loaded)
    result.load_s = time.perf_counter() - loading
    started = time.perf_counter()

    async def one(loaded: LoadedScenario, index: int) -> ScenarioRun:
        async with semaphore:
            try:
                pipeline = pipelines.for_scenario(loaded)
            except Exception as exc:  # a backend that cannot load fails this scenario, not the suite
                message = getattr(exc, "message", None) or str(exc)
                run = ScenarioRun(loaded.name, str(loaded.path), "-", index, audio_mode, setup_error=message)
            else:
                run = await run_scenario(
                    loaded, pipeline, audio_mode=audio_mode, repeat=index, default_compliance=default_compliance,
                    evaluation=evaluation,
                )
            if on_run is not None:
                on_run(run)
            return run

    jobs = [one(loaded, index) for index in range(max(1, repeat)) for loaded in scenarios]
    result.runs = list(await asyncio.gather(*jobs))
    result.wall_s = time.perf_counter() - started
    return result

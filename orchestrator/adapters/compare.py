"""Base model against an adapter: on labelled data, and on scenarios played through the pipeline.

Each scenario is played twice in fresh sessions, one set to ``base`` and one
to the adapter (a scenario that pins its own adapter plays on it both times).
A scenario the base passes and the adapter fails is a regression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.adapters.classifier import load_adapter_classifier
from orchestrator.adapters.data import EvalRow
from orchestrator.adapters.metrics import Evaluation, ProgressFn, evaluate_rows
from orchestrator.adapters.names import BASE
from orchestrator.config import Settings
from orchestrator.nlu.intents import IntentClassifier, load_intent_classifier
from orchestrator.scenarios.loader import LoadedScenario
from orchestrator.scenarios.runner import Pipelines, ScenarioRun, run_scenario
from orchestrator.sessions.lineage import derived_id

__all__ = ["ScenarioComparison", "base_classifier", "compare_on_data", "compare_on_scenarios"]


def base_classifier(settings: Settings) -> IntentClassifier:
    """The classifier a session without an adapter uses (``VOICEBOT_INTENT_CLASSIFIER``)."""
    return load_intent_classifier(settings.intent_classifier)


def compare_on_data(
    settings: Settings, name: str, rows: Sequence[EvalRow], progress: ProgressFn | None = None
) -> dict[str, Evaluation]:
    """``{"base": ..., name: ...}``: both classifiers scored on the same rows."""
    classifiers = {BASE: base_classifier(settings), name: load_adapter_classifier(settings, name)}
    total = len(rows) * len(classifiers)
    out: dict[str, Evaluation] = {}
    for offset, (key, classifier) in enumerate(classifiers.items()):
        step = (lambda done, _n, o=offset: progress(o * len(rows) + done, total)) if progress is not None else None
        out[key] = evaluate_rows(classifier, rows, step)
    return out


@dataclass
class ScenarioComparison:
    """One scenario on the base model and on the adapter."""

    name: str
    base: ScenarioRun
    adapter: ScenarioRun
    intent_checks: dict[str, list[int]] = field(default_factory=dict)  # side -> [passed, total]

    @property
    def regressed(self) -> bool:
        """The base passes and the adapter fails."""
        return self.base.passed and not self.adapter.passed

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "base_passed": self.base.passed,
            "adapter_passed": self.adapter.passed,
            "regressed": self.regressed,
            "intent_checks": self.intent_checks,
            "base_failures": self.base.failures(),
            "adapter_failures": self.adapter.failures(),
        }


def _intent_checks(run: ScenarioRun) -> list[int]:
    checks = [c for t in run.turns for c in t.checks if c.name == "intent"]
    return [sum(c.passed for c in checks), len(checks)]


async def compare_on_scenarios(
    pipelines: Pipelines,
    name: str,
    scenarios: Sequence[LoadedScenario],
    on_done: Callable[[ScenarioComparison], None] | None = None,
) -> list[ScenarioComparison]:
    """Play every scenario on the base model and on adapter ``name``; never raises for a failed turn."""
    out: list[ScenarioComparison] = []
    for loaded in scenarios:
        pipeline = pipelines.for_scenario(loaded)
        runs: dict[str, ScenarioRun] = {}
        for side, choice in (("base", BASE), ("adapter", name)):
            sid = derived_id("cmp", loaded.scenario.source_session, side)
            await pipeline.set_adapter(sid, choice)
            runs[side] = await run_scenario(loaded, pipeline, session_id=sid)
        result = ScenarioComparison(
            loaded.scenario.name,
            runs["base"],
            runs["adapter"],
            {side: _intent_checks(run) for side, run in runs.items()},
        )
        out.append(result)
        if on_done is not None:
            on_done(result)
    return out

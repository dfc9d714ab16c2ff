"""One robustness run end to end: play the plan, score every cell, apply gates and the baseline."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.robustness.lab import CellRuns, LabPlan, babble_voices, run_lab
from orchestrator.robustness.matrix import Gate, cell_metrics, check_baseline, check_gates, turn_wer, worst_turn
from orchestrator.robustness.perturb import Assets
from orchestrator.robustness.realclips import RealClip, run_real_clips
from orchestrator.scenarios.runner import Pipelines

__all__ = ["LabOutcome", "run_robustness"]


@dataclass
class LabOutcome:
    """The JSON report and the worst turns of the failing cells (with their audio, for the HTML page)."""

    report: dict[str, Any]
    worst_turns: list[dict[str, Any]] = field(default_factory=list)


def _worst(cell: CellRuns) -> dict[str, Any] | None:
    turn = worst_turn(cell)
    if turn is None:
        return None
    run = next(r for r in cell.runs if turn in r.turns)
    scored = turn_wer(turn)
    return {
        "persona": cell.persona,
        "perturbation": cell.perturbation,
        "scenario": run.name,
        "turn": turn.index,
        "said": turn.user,
        "transcript": turn.result.transcript if turn.result else None,
        "reply": turn.result.reply if turn.result else turn.error,
        "wer": round(scored[0] / scored[1], 4) if scored and scored[1] else None,
        "failed_checks": [f"{c.name}: {c.detail}" for c in turn.checks if not c.passed],
        "audio_wav_b64": base64.b64encode(turn.input_wav).decode("ascii") if turn.input_wav else None,
    }


async def run_robustness(
    plan: LabPlan,
    pipelines: Pipelines,
    settings: Settings,
    *,
    clips: list[RealClip] | None = None,
    gates: list[Gate] | None = None,
    baseline: dict[str, Any] | None = None,
    tolerance: float = 0.05,
    latency_tolerance: float = 0.5,
    on_step: Callable[[str], None] | None = None,
) -> LabOutcome:
    """Play ``plan`` (and the real clips), build the matrix report, check gates and the baseline."""
    with tempfile.TemporaryDirectory(prefix="voicebot-robustness-") as tmp:
        cells = await run_lab(
            plan, pipelines, settings, Path(tmp),
            on_run=(lambda cell, run: on_step(f"{cell.persona} {cell.perturbation} {run.name}")) if on_step else None,
        )
        real: dict[str, Any] = {}
        if clips:
            assets = Assets(Path(tmp), voices=lambda: babble_voices(settings))
            pipeline = pipelines.for_scenario(plan.scenarios[0])
            real = await run_real_clips(
                clips, plan.perturbations, pipeline, assets, plan.seed,
                on_clip=(lambda: on_step("real clips")) if on_step else None,
            )
    matrix: dict[str, dict[str, Any]] = {}
    worst: list[dict[str, Any]] = []
    for cell in cells:
        metrics = cell_metrics(cell)
        matrix.setdefault(cell.persona, {})[cell.perturbation] = metrics
        if metrics["task_success"] is not None and metrics["task_success"] < 1.0:
            found = _worst(cell)
            if found is not None:
                worst.append(found)
    first = pipelines.for_scenario(plan.scenarios[0])
    report: dict[str, Any] = {
        "scenarios": [s.name for s in plan.scenarios],
        "personas": {p.name: {"voice": p.voice.label, "style": p.style.model_dump()} for p in plan.personas},
        "perturbations": [p.name for p in plan.perturbations],
        "repeat": plan.repeat,
        "seed": plan.seed,
        "backends": first.backends,
        "matrix": matrix,
        "real_clips": real,
    }
    failures = check_gates(report, gates or [])
    if baseline is not None:
        failures += check_baseline(report, baseline, tolerance, latency_tolerance)
    report["gate_failures"] = failures
    report["failing_cells"] = [f"{w['persona']}/{w['perturbation']}" for w in worst]
    report["worst_turns"] = [{k: v for k, v in w.items() if k != "audio_wav_b64"} for w in worst]
    report["passed"] = not failures
    return LabOutcome(report, worst)

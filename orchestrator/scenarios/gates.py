"""Latency percentile gates across repeats, and comparison with a saved baseline."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.fsutil import read_json
from orchestrator.scenarios.loader import ScenarioError
from orchestrator.scenarios.runner import ScenarioRun

__all__ = ["check_baseline", "check_gates", "latency_percentiles", "load_baseline", "parse_gate"]


def latency_percentiles(runs: list[ScenarioRun]) -> dict[str, dict[str, float]]:
    """Per stage, the p50 and p95 of every turn's milliseconds in ``runs``."""
    samples: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for turn in run.turns:
            if turn.result is None:
                continue
            for stage, ms in turn.result.timings_ms.items():
                samples[stage].append(ms)
            if turn.result.voice_to_voice_ms is not None:
                samples["voice_to_voice"].append(turn.result.voice_to_voice_ms)
    return {
        stage: {"p50": round(float(np.percentile(v, 50)), 1), "p95": round(float(np.percentile(v, 95)), 1), "n": len(v)}
        for stage, v in sorted(samples.items())
    }


def parse_gate(text: str) -> tuple[str, str, float]:
    """``"p95.total=1500"`` -> ("p95", "total", 1500.0); raises ``ScenarioError`` when malformed."""
    try:
        left, value = text.split("=", 1)
        which, stage = left.split(".", 1)
        ms = float(value)
    except ValueError:
        raise ScenarioError(f"bad gate {text!r}: write it as p50.STAGE=MS or p95.STAGE=MS") from None
    if which not in ("p50", "p95") or ms <= 0:
        raise ScenarioError(f"bad gate {text!r}: write it as p50.STAGE=MS or p95.STAGE=MS with MS > 0")
    return which, stage, ms


def check_gates(
    runs_by_scenario: dict[str, list[ScenarioRun]],
    scenario_gates: dict[str, dict[str, dict[str, float]]],
    cli_gates: list[tuple[str, str, float]],
) -> list[str]:
    """Every gate that is exceeded, as a sentence; a gated stage that never ran also fails."""
    failures: list[str] = []
    for name, runs in runs_by_scenario.items():
        stats = latency_percentiles(runs)
        gates = [(w, s, ms) for w, by_stage in scenario_gates.get(name, {}).items() for s, ms in by_stage.items()]
        for which, stage, limit in [*gates, *cli_gates]:
            got = stats.get(stage, {}).get(which)
            if got is None:
                failures.append(f"{name}: {which} {stage} gate of {limit} ms, but the stage never ran")
            elif got > limit:
                failures.append(f"{name}: {which} {stage} is {got} ms, over the {limit} ms gate")
    return failures


def load_baseline(path: Path) -> dict[str, Any]:
    """A report saved with ``--json`` or ``--save-baseline``."""
    data = read_json(path, ScenarioError, missing="baseline file", kind="report")
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), dict):
        raise ScenarioError(f"{path}: not a run-scenario report (no 'scenarios' object)")
    return data


def check_baseline(summary: dict[str, Any], baseline: dict[str, Any], tolerance: float, slack_ms: float) -> list[str]:
    """Regressions against the baseline: a pass that now fails, or p50 total beyond tolerance."""
    failures: list[str] = []
    for name, now in summary["scenarios"].items():
        before = baseline["scenarios"].get(name)
        if not isinstance(before, dict):
            continue
        if before.get("passed") and not now["passed"]:
            failures.append(f"{name}: passed in the baseline, fails now")
        old = (before.get("latency") or {}).get("total", {}).get("p50")
        new = (now.get("latency") or {}).get("total", {}).get("p50")
        if old is not None and new is not None and new > old * (1 + tolerance) + slack_ms:
            failures.append(f"{name}: p50 total {new} ms vs {old} ms in the baseline (tolerance {tolerance:.0%} + "
                            f"{slack_ms:.0f} ms)")
    return failures

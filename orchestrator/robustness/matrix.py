"""The robustness matrix: per cell WER, intent and slot accuracy, task success, voice-to-voice.

Only spoken turns count for WER, intents, slots and latency (typed turns do
not pass through the perturbed audio); task success is the share of the
cell's scenario runs whose every check held. WER is pooled over the cell's
turns (errors over reference words), and a spoken turn that produced no
transcript counts every reference word as deleted.

Gates read ``METRIC@CELL<=VALUE`` (or ``>=``), where CELL is a perturbation
name (every persona must meet it) or ``PERSONA/PERTURBATION``; ``real-clips``
as the persona gates the real recordings' WER.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.fsutil import read_json
from orchestrator.robustness.lab import CellRuns
from orchestrator.robustness.spec import PerturbationError, parse_perturbation
from orchestrator.scenarios.checks import same_value
from orchestrator.scenarios.runner import TurnRun
from orchestrator.textmetrics import normalize_words, wer

__all__ = [
    "METRICS",
    "REAL_CLIPS",
    "Gate",
    "cell_metrics",
    "check_baseline",
    "check_gates",
    "load_baseline",
    "metric_value",
    "parse_gate",
    "turn_wer",
    "worst_turn",
]

REAL_CLIPS = "real-clips"
# Higher is better for these; lower is better for the rest.
_HIGHER = ("intent_accuracy", "slot_accuracy", "task_success")
METRICS = ("wer", "intent_accuracy", "slot_accuracy", "task_success", "v2v_p50", "v2v_p95")
_GATE_RE = re.compile(r"^(?P<metric>[a-z0-9_]+)@(?P<cell>.+?)(?P<op><=|>=)(?P<value>-?[0-9.]+)$")


def turn_wer(turn: TurnRun) -> tuple[float, int] | None:
    """(word errors, reference words) of a spoken turn; None for a typed turn or one that never reached STT."""
    if turn.input_kind != "say":
        return None
    words = len(normalize_words(turn.user))
    if turn.result is not None and turn.result.transcript is not None:
        return wer(turn.user, turn.result.transcript) * words, words
    if turn.error_category in ("silent_audio", "empty_audio"):  # nothing heard: every word lost
        return float(words), words
    return None


def _check(turn: TurnRun, name: str) -> bool | None:
    found = [c.passed for c in turn.checks if c.name == name]
    return found[0] if found else None


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def cell_metrics(cell: CellRuns) -> dict[str, Any]:
    """The cell's figures (None where nothing measured them)."""
    errors = words = 0.0
    intents = intent_hits = slots = slot_hits = 0
    v2v: list[float] = []
    spoken = 0
    for run in cell.runs:
        for turn in run.turns:
            if turn.input_kind != "say":
                continue
            spoken += 1
            scored = turn_wer(turn)
            if scored is not None:
                errors += scored[0]
                words += scored[1]
            expect = cell.scenarios[run.name].scenario.turns[turn.index].expect
            if expect.intent is not None:
                intents += 1
                intent_hits += bool(turn.result is not None and turn.result.intent == expect.intent)
            for key, want in (expect.slots or {}).items():
                slots += 1
                got = turn.result.slots.get(key) if turn.result is not None else None
                slot_hits += same_value(want, got)
            if turn.result is not None and turn.result.voice_to_voice_ms is not None:
                v2v.append(turn.result.voice_to_voice_ms)
    failed = [f for run in cell.runs for f in run.failures()]
    return {
        "wer": round(errors / words, 4) if words else None,
        "intent_accuracy": _ratio(intent_hits, intents),
        "slot_accuracy": _ratio(slot_hits, slots),
        "task_success": _ratio(sum(r.passed for r in cell.runs), len(cell.runs)),
        "voice_to_voice_ms": {
            "p50": round(float(np.percentile(v2v, 50)), 1) if v2v else None,
            "p95": round(float(np.percentile(v2v, 95)), 1) if v2v else None,
        },
        "spoken_turns": spoken,
        "runs": len(cell.runs),
        "failures": failed[:20],
    }


def worst_turn(cell: CellRuns) -> TurnRun | None:
    """The spoken turn that went worst: failed checks first, then the highest WER."""

    def badness(turn: TurnRun) -> tuple[int, float]:
        scored = turn_wer(turn)
        return (not turn.passed, scored[0] / scored[1] if scored and scored[1] else 0.0)

    spoken = [t for run in cell.runs for t in run.turns if t.input_kind == "say"]
    return max(spoken, key=badness) if spoken else None


@dataclass(frozen=True)
class Gate:
    """One gate: ``metric`` of a cell (or of every persona's cell) against a limit."""

    text: str
    metric: str
    persona: str | None
    perturbation: str
    op: str
    limit: float


def parse_gate(text: str) -> Gate:
    """``wer@phone+noise:snr=10<=0.20`` -> a ``Gate``; raises ``PerturbationError`` when malformed."""
    m = _GATE_RE.match(text.strip().replace(" ", ""))
    if m is None:
        raise PerturbationError(f"bad gate {text!r}: write it as METRIC@PERTURBATION<=VALUE (or >=), "
                                "e.g. wer@phone+noise:snr=10<=0.20")
    metric = m.group("metric")
    if metric not in METRICS:
        raise PerturbationError(f"bad gate {text!r}: metric must be one of {', '.join(METRICS)}")
    persona, _, name = m.group("cell").rpartition("/")
    try:
        limit = float(m.group("value"))
    except ValueError:
        raise PerturbationError(f"bad gate {text!r}: {m.group('value')!r} is not a number") from None
    canonical = parse_perturbation(name).name
    return Gate(text, metric, persona or None, canonical, m.group("op"), limit)


def metric_value(cell: dict[str, Any], metric: str) -> float | None:
    """A cell's figure by gate name (``v2v_p95`` reads ``voice_to_voice_ms.p95``); None when absent."""
    source = (cell.get("voice_to_voice_ms") or {}) if metric.startswith("v2v_") else cell
    value = source.get(metric.removeprefix("v2v_"))
    return float(value) if isinstance(value, int | float) else None


def check_gates(report: dict[str, Any], gates: list[Gate]) -> list[str]:
    """Every gate that does not hold, as a sentence."""
    failures: list[str] = []
    for gate in gates:
        if gate.persona == REAL_CLIPS:
            rows = {REAL_CLIPS: report.get("real_clips") or {}}
        else:
            rows = {p: cells for p, cells in report["matrix"].items() if gate.persona in (None, p)}
        if not rows:
            failures.append(f"gate {gate.text}: no persona {gate.persona!r} in the matrix")
        for persona, cells in rows.items():
            cell = cells.get(gate.perturbation)
            value = metric_value(cell, gate.metric) if cell is not None else None
            if value is None:
                failures.append(f"gate {gate.text}: {persona}/{gate.perturbation} has no {gate.metric}")
            elif (value > gate.limit) if gate.op == "<=" else (value < gate.limit):
                failures.append(f"gate {gate.text}: {persona}/{gate.perturbation} {gate.metric} is {value:g}")
    return failures


def load_baseline(path: Path) -> dict[str, Any]:
    """A report saved with ``voicebot robustness --json``; raises ``PerturbationError`` when unusable."""
    data = read_json(path, PerturbationError, missing="baseline file", kind="report")
    if not isinstance(data, dict) or not isinstance(data.get("matrix"), dict):
        raise PerturbationError(f"{path}: not a robustness report (no 'matrix' object)")
    return data


def check_baseline(
    report: dict[str, Any], baseline: dict[str, Any], tolerance: float, latency_tolerance: float
) -> list[str]:
    """Cells that got worse than the baseline: a quality metric by more than ``tolerance`` (absolute),
    p95 voice-to-voice by more than ``latency_tolerance`` (relative) plus 100 ms."""
    failures: list[str] = []
    rows = {**report["matrix"], REAL_CLIPS: report.get("real_clips") or {}}
    before_rows = {**baseline["matrix"], REAL_CLIPS: baseline.get("real_clips") or {}}
    for persona, cells in rows.items():
        for name, cell in cells.items():
            before = (before_rows.get(persona) or {}).get(name)
            if not isinstance(before, dict):
                continue
            for metric in ("wer", *_HIGHER):
                now, old = metric_value(cell, metric), metric_value(before, metric)
                if now is None or old is None:
                    continue
                worse = (old - now) if metric in _HIGHER else (now - old)
                if worse > tolerance + 1e-9:
                    failures.append(f"{persona}/{name}: {metric} {now:g} vs {old:g} in the baseline")
            now_ms, old_ms = metric_value(cell, "v2v_p95"), metric_value(before, "v2v_p95")
            if now_ms is not None and old_ms is not None and now_ms > old_ms * (1 + latency_tolerance) + 100:
                failures.append(f"{persona}/{name}: p95 voice-to-voice {now_ms:g} ms vs {old_ms:g} ms in the baseline")
    return failures

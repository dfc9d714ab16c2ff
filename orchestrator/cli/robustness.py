"""``voicebot robustness``: the persona x perturbation matrix of the voice scenarios."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestrator.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    err_console,
    fail,
    load_settings,
    print_json,
    voicebot_errors,
)
from orchestrator.config import Settings
from orchestrator.errors import InputError
from orchestrator.fsutil import atomic_write_text
from orchestrator.personas.model import resolve_personas
from orchestrator.robustness.lab import LabPlan, spoken_scenarios
from orchestrator.robustness.matrix import Gate, load_baseline, parse_gate
from orchestrator.robustness.realclips import RealClip, default_realdata, load_clips
from orchestrator.robustness.report import render_csv, render_html
from orchestrator.robustness.spec import parse_list
from orchestrator.robustness.suite import LabOutcome, run_robustness
from orchestrator.scenarios.loader import ScenarioError, load_scenarios
from orchestrator.scenarios.runner import Pipelines

__all__ = ["robustness"]


def robustness(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders; those with spoken (say) turns play.")],
    perturb: Annotated[
        list[str], typer.Option("--perturb", help="Perturbations, comma-separated (repeatable): noise:snr=10, "
                                                  "noise:snr=5,color=pink, babble:snr=10, phone, speed:1.15, "
                                                  "reverb:rt60=0.6, clip:20%, gain:-25, loss:5%, chains a+b. "
                                                  "clean is always added.")
    ] = ["clean"],  # noqa: B006 - typer needs a literal default for a list option
    personas: Annotated[
        list[str], typer.Option("--personas", help="Persona names (scenarios/personas) or YAML files, comma-separated.")
    ] = ["joe"],  # noqa: B006
    repeat: Annotated[int, typer.Option("--repeat", min=1, max=100, help="Play every cell N times.")] = 1,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the perturbations and styles.")] = 0,
    speak_typed: Annotated[bool, typer.Option("--speak-typed", help="Speak typed (user) turns too.")] = False,
    real_clips: Annotated[
        Path | None, typer.Option("--real-clips", help="A realdata folder (audio/audio_manifest.json); "
                                                       "default VOICEBOT_REALDATA or ../shared/realdata.")
    ] = None,
    no_real_clips: Annotated[bool, typer.Option("--no-real-clips", help="Skip the real recordings.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write the self-contained HTML page here.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the matrix as CSV here.")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Compare with a saved --json report.")] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, max=1.0, help="Allowed drop of a metric against the baseline.")
    ] = 0.05,
    gate: Annotated[
        list[str] | None, typer.Option("--gate", help="e.g. 'wer@phone+noise:snr=10<=0.20', "
                                                      "'task_success@joe/phone>=1' (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as one JSON object.")] = False,
) -> None:
    """Play every voice scenario under every persona x perturbation through the real Whisper and pipeline.

    Reports per cell WER, intent and slot accuracy, task success and voice-to-voice p50/p95 (JSON, CSV, an
    HTML page with heat maps and the worst turn of each failing cell). Exit 1 when a gate or the baseline fails.
    """
    try:
        chains = parse_list(perturb)
        chosen = resolve_personas(personas)
        gates = [parse_gate(g) for g in gate or []]
        names = {c.name for c in chains}
        for g in gates:
            if g.perturbation not in names:
                raise InputError(f"gate {g.text!r}: {g.perturbation} is not among the --perturb cells")
            if g.persona not in (None, "real-clips", *(p.name for p in chosen)):
                raise InputError(f"gate {g.text!r}: persona {g.persona!r} is not among --personas")
        loaded, problems = load_scenarios(paths)
        if problems:
            raise ScenarioError("\n".join(problems))
        scenarios = spoken_scenarios(loaded, speak_typed)
        if not scenarios:
            raise ScenarioError("no scenario with spoken (say) turns under the given paths (--speak-typed speaks "
                                "typed turns too)")
        base = load_baseline(baseline) if baseline is not None else None
        realdata = None if no_real_clips else (real_clips or default_realdata())
        clips, notes = load_clips(realdata) if realdata is not None else ([], [])
    except InputError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    plan = LabPlan(scenarios, chosen, chains, repeat=repeat, seed=seed, speak_typed=speak_typed)
    # Every repeat must reach the dialog: the semantic cache would answer repeats from memory.
    settings = load_settings(as_json=as_json).model_copy(update={"cache": False})
    pipelines = Pipelines(settings)
    total = plan.runs_total + len(clips) * len(chains)
    try:
        with voicebot_errors(as_json):
            outcome = _run(plan, pipelines, settings, clips, gates, base, tolerance, total, quiet=as_json)
    finally:
        pipelines.close()
    outcome.report["real_clip_notes"] = notes
    if html is not None:
        atomic_write_text(html, render_html(outcome.report, outcome.worst_turns))
    if csv_out is not None:
        atomic_write_text(csv_out, render_csv(outcome.report))
    if as_json:
        print_json(outcome.report)
    else:
        _print(outcome)
    if not outcome.report["passed"]:
        raise typer.Exit(EXIT_FAILED)


def _run(
    plan: LabPlan,
    pipelines: Pipelines,
    settings: Settings,
    clips: list[RealClip],
    gates: list[Gate],
    base: dict[str, Any] | None,
    tolerance: float,
    total: int,
    quiet: bool,
) -> LabOutcome:
    with Progress(
        TextColumn("[bold]robustness"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=err_console, disable=quiet,
    ) as progress:
        task = progress.add_task("loading models", total=total)

        def step(what: str) -> None:
            progress.update(task, advance=1, description=escape(what))

        return asyncio.run(run_robustness(
            plan, pipelines, settings, clips=clips, gates=gates, baseline=base, tolerance=tolerance, on_step=step,
        ))


def _print(outcome: LabOutcome) -> None:
    report = outcome.report
    console = Console()
    table = Table(title="robustness matrix")
    for column in ("persona", "perturbation", "WER", "intent", "slots", "task", "v2v p50", "v2v p95"):
        table.add_column(column, justify="left" if column in ("persona", "perturbation") else "right")

    def fmt(value: object) -> str:
        return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    for persona, cells in report["matrix"].items():
        for name, cell in cells.items():
            v2v = cell["voice_to_voice_ms"]
            table.add_row(escape(persona), escape(name), fmt(cell["wer"]), fmt(cell["intent_accuracy"]),
                          fmt(cell["slot_accuracy"]), fmt(cell["task_success"]), fmt(v2v["p50"]), fmt(v2v["p95"]))
    for name, row in (report.get("real_clips") or {}).items():
        table.add_row("real-clips", escape(name), fmt(row["wer"]), "", "", "", "", "")
    console.print(table)
    for failure in report["gate_failures"]:
        console.print(f"[red]gate:[/] {escape(failure)}")
    console.print(json.dumps({"failing_cells": report["failing_cells"]}))

"""``voicebot run-scenario``: the regression suite, headless, for CI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.fsutil import atomic_write_text
from orchestrator.scenarios.gates import check_baseline, check_gates, latency_percentiles, load_baseline, parse_gate
from orchestrator.scenarios.loader import LoadedScenario, ScenarioError, load_scenarios
from orchestrator.scenarios.model import COMPLIANCE_CHECKS
from orchestrator.scenarios.report_html import write_html
from orchestrator.scenarios.report_junit import write_junit
from orchestrator.scenarios.runner import Pipelines, ScenarioRun
from orchestrator.scenarios.suite import SuiteResult, parse_shard, run_suite, select_shard

__all__ = ["parse_compliance", "run_scenario_command"]


def parse_compliance(text: str) -> frozenset[str]:
    """``"apr_disclosed,no_card_numbers"`` (or ``all``, ``none``) -> the rules; raises ``ScenarioError``."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    if wanted == {"all"}:
        return frozenset(COMPLIANCE_CHECKS)
    if wanted in ({"none"}, set()):
        return frozenset()
    unknown = sorted(wanted - set(COMPLIANCE_CHECKS))
    if unknown:
        raise ScenarioError(
            f"bad --compliance {text!r}: unknown {', '.join(unknown)}; use all, none or some of "
            f"{', '.join(COMPLIANCE_CHECKS)}"
        )
    return frozenset(wanted)


def run_scenario_command(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders (searched for *.yaml, *.yml).")],
    audio: Annotated[
        bool, typer.Option("--audio", help="Speak typed turns with the TTS and run them as audio.")
    ] = False,
    repeat: Annotated[int, typer.Option("--repeat", min=1, max=1000, help="Run each scenario N times.")] = 1,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Scenarios run at once.")] = 1,
    shard: Annotated[str | None, typer.Option("--shard", help="Run only shard i of n, e.g. 2/4.")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report with turn timelines here.")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Compare with a saved --json report.")] = None,
    save_baseline: Annotated[
        Path | None, typer.Option("--save-baseline", help="Save this run's JSON report as a baseline.")
    ] = None,
    gate: Annotated[
        list[str] | None, typer.Option("--gate", help="Latency gate across repeats, e.g. p95.total=1500 (repeatable).")
    ] = None,
    compliance: Annotated[
        str | None,
        typer.Option(
            "--compliance",
            help="Compliance rules for scenarios that list none: all (default), none, or a comma-separated list of "
            "apr_disclosed, no_card_numbers, disclosure_first.",
        ),
    ] = None,
    latency_tolerance: Annotated[
        float,
        typer.Option("--latency-tolerance", min=0.0, help="Allowed p50 slow-down against the baseline (0.5 = 50%)."),
    ] = 0.5,
    use_cache: Annotated[
        bool,
        typer.Option("--cache", help="Let the semantic cache answer every scenario (by default only scenarios "
                     "with cache: expectations use it)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as one JSON object.")] = False,
) -> None:
    """Run scenarios through the pipeline and check every expectation; exit 1 on any failure or regression."""
    try:
        loaded, problems = load_scenarios(paths)
        if problems:
            raise ScenarioError("\n".join(problems))
        names = [s.name for s in loaded]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ScenarioError(f"scenario names must be unique; repeated: {', '.join(duplicates)}")
        if not loaded:
            raise ScenarioError("no scenarios to run: no *.yaml or *.yml file under the given paths")
        if shard is not None:
            # More shards than scenarios leaves some empty: they pass with nothing to run.
            loaded = select_shard(loaded, *parse_shard(shard))
        cli_gates = [parse_gate(g) for g in gate or []]
        base = load_baseline(baseline) if baseline is not None else None
        default_compliance = parse_compliance(compliance) if compliance is not None else None
    except ScenarioError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)

    settings = load_settings(as_json=as_json)
    pipelines = Pipelines(settings, use_cache=use_cache)
    try:
        with voicebot_errors(as_json):
            suite = _run_with_progress(loaded, pipelines, repeat, workers, audio, default_compliance, quiet=as_json)
    finally:
        pipelines.close()

    scenario_gates: dict[str, dict[str, dict[str, float]]] = {
        s.name: {
            "p50": {str(k): v for k, v in s.scenario.gates.p50_ms.items()},
            "p95": {str(k): v for k, v in s.scenario.gates.p95_ms.items()},
        }
        for s in loaded
    }
    gate_failures = check_gates(suite.by_scenario(), scenario_gates, cli_gates)
    summary = suite.summary(gate_failures)
    if base is not None:
        regressions = check_baseline(summary, base, latency_tolerance, slack_ms=50.0)
        gate_failures += regressions
        summary = suite.summary(gate_failures)
    if junit is not None:
        write_junit(junit, suite.runs, gate_failures)
    if html is not None:
        write_html(html, suite.runs, gate_failures)
    if save_baseline is not None:
        atomic_write_text(save_baseline, json.dumps(summary, indent=2, default=str) + "\n")
    if as_json:
        print_json(summary)
    else:
        _print_table(suite, gate_failures)
    if not summary["passed"]:
        raise typer.Exit(EXIT_FAILED)


def _run_with_progress(
    loaded: list[LoadedScenario],
    pipelines: Pipelines,
    repeat: int,
    workers: int,
    audio: bool,
    default_compliance: frozenset[str] | None,
    quiet: bool,
) -> SuiteResult:
    console = Console(stderr=True)
    total = len(loaded) * repeat
    with Progress(
        TextColumn("[bold]scenarios"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=console, disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=total)

        def advance(run: ScenarioRun) -> None:
            mark = "[green]pass[/]" if run.passed else "[red]FAIL[/]"
            progress.update(task, advance=1, description=f"{mark} {escape(run.name)}")

        return asyncio.run(
            run_suite(
                loaded, pipelines, repeat=repeat, workers=workers, audio_mode=audio, on_run=advance,
                default_compliance=default_compliance,
            )
        )


def _print_table(suite: SuiteResult, gate_failures: list[str]) -> None:
    console = Console()
    table = Table(title="scenarios")
    table.add_column("result")
    table.add_column("scenario")
    table.add_column("runs", justify="right")
    table.add_column("turns", justify="right")
    table.add_column("p50 total ms", justify="right")
    table.add_column("first failure")
    for name, runs in suite.by_scenario().items():
        passed = all(r.passed for r in runs)
        failures = [f for r in runs for f in r.failures()]
        p50 = latency_percentiles(runs).get("total", {}).get("p50")
        table.add_row(
            "[green]PASS[/]" if passed else "[red]FAIL[/]", escape(name), str(len(runs)),
            str(sum(len(r.turns) for r in runs)), f"{p50:.0f}" if p50 is not None else "-",
            escape(failures[0]) if failures else "",
        )
    console.print(table)
    for failure in gate_failures:
        console.print(f"[red]gate:[/] {escape(failure)}")
    failed = sum(not all(r.passed for r in runs) for runs in suite.by_scenario().values())
    console.print(
        f"{len(suite.by_scenario()) - failed} passed, {failed} failed; {suite.turns} turns in {suite.wall_s:.1f} s"
        f" (models loaded in {suite.load_s:.1f} s before)"
    )

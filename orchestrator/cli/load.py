"""``voicebot load``: concurrent simulated callers, latency per stage, lost turns and the capacity."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orchestrator.cli.common import EXIT_FAILED, err_console, load_settings, print_json, voicebot_errors
from orchestrator.load.run import LoadPlan, run_load

__all__ = ["load"]


def load(
    callers: Annotated[int, typer.Option("--callers", min=1, max=256, help="Concurrent callers (the last step).")] = 8,
    turns: Annotated[int, typer.Option("--turns", min=1, max=200, help="Turns each caller's conversation has.")] = 6,
    audio: Annotated[bool, typer.Option("--audio", help="Callers speak (Piper audio through Whisper).")] = False,
    store: Annotated[
        str | None, typer.Option("--store", help="sqlite, memory or redis://host:port/db (default: a scratch "
                                                 "SQLite file deleted after the run).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=16, help="Processes sharing the callers (each loads the models).")
    ] = 1,
    budget_ms: Annotated[
        float, typer.Option("--budget-ms", min=1.0, help="p95 voice-to-voice budget that defines the capacity.")
    ] = 1500.0,
    no_ramp: Annotated[bool, typer.Option("--no-ramp", help="Run only N callers, not 1, 2, 4, ..., N.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON report.")] = False,
) -> None:
    """Run N concurrent multi-turn callers through the real pipeline; report turns/s, p50/p95 per stage and
    voice-to-voice, errors, lost turns (store, log, audit chain), peak RSS and the capacity within the budget.

    Exit 1 when a turn was lost or an audit chain does not verify.
    """
    settings = load_settings(as_json=as_json)
    plan = LoadPlan(callers, turns, audio=audio, workers=workers, budget_ms=budget_ms, ramp=not no_ramp, store=store)
    with voicebot_errors(as_json), err_console.status("loading models") as status:
        report = run_load(plan, settings, progress=lambda what: status.update(f"running {what}"))
    if as_json:
        print_json(report)
    else:
        _print(report)
    if report["lost_turns"] or report["log_missing"] or report["audit_failures"]:
        raise typer.Exit(EXIT_FAILED)


def _print(report: dict[str, object]) -> None:
    console = Console()
    table = Table(title=f"load ({'audio' if report['audio'] else 'text'} callers, {report['workers']} worker(s))")
    for column in ("callers", "turns/s", "p50 ms", "p95 ms", "errors", "lost", "within budget"):
        table.add_column(column, justify="right")
    for step in report["steps"]:  # type: ignore[attr-defined]
        table.add_row(str(step["callers"]), str(step["turns_per_s"]), str(step["caller_ms"]["p50"]),
                      str(step["caller_ms"]["p95"]), escape(str(step["errors"] or 0)), str(step["lost_turns"]),
                      "yes" if step["within_budget"] else "no")
    console.print(table)
    console.print(f"capacity: {report['capacity']} callers within p95 {report['budget_ms']} ms; "
                  f"peak RSS {report['peak_rss_mb']} MB")

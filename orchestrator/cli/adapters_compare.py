"""``voicebot adapter-control compare``: the base model against an adapter, on labelled data and on scenarios."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orchestrator.adapters.activation import global_adapter
from orchestrator.adapters.metrics import Evaluation
from orchestrator.adapters.store import find_adapter, list_adapters
from orchestrator.cli.adapters import DataOption, JsonOption, MappedOption, eval_rows, fmt, progress
from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, load_settings, print_json, voicebot_errors

if TYPE_CHECKING:
    from orchestrator.adapters.compare import ScenarioComparison
    from orchestrator.scenarios.loader import LoadedScenario

__all__ = ["compare_command"]


def compare_command(
    name: Annotated[
        str | None,
        typer.Argument(help="Adapter name (default: the globally active one, else the one the project ships)."),
    ] = None,
    scenarios: Annotated[
        list[Path] | None, typer.Option("--scenarios", help="Scenario files or folders to play on both (repeatable).")
    ] = None,
    data: DataOption = None,
    mapped: MappedOption = False,
    as_json: JsonOption = False,
) -> None:
    """The base model against an adapter: on labelled data, and on scenarios (exit 1 if one regresses)."""
    from orchestrator.adapters.compare import compare_on_data, compare_on_scenarios
    from orchestrator.scenarios.loader import ScenarioError, load_scenarios
    from orchestrator.scenarios.runner import Pipelines

    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        shipped = sorted(a.info.name for a in list_adapters(settings)[0] if a.source == "shipped")
        chosen = name or global_adapter(settings) or (shipped[0] if len(shipped) == 1 else None)
        if chosen is None:
            fail("no adapter given and none is active: name one", EXIT_USAGE, as_json=as_json, category="usage")
        find_adapter(settings, chosen)
    path, rows = eval_rows(data, mapped, as_json)
    loaded: list[LoadedScenario] = []
    if scenarios:
        try:
            loaded, problems = load_scenarios(list(scenarios))
        except ScenarioError as exc:
            fail(str(exc), EXIT_USAGE, as_json=as_json, category="scenario")
        if problems or not loaded:
            fail("\n".join(problems) or "no *.yaml scenario under the given paths", EXIT_USAGE, as_json=as_json,
                 category="scenario")
    with voicebot_errors(as_json), progress(f"compare {chosen}") as update:
        results = compare_on_data(settings, chosen, rows, lambda done, total: update("data", done, total))
        played: list[ScenarioComparison] = []
        if loaded:
            pipelines = Pipelines(settings)
            try:
                played = asyncio.run(
                    compare_on_scenarios(
                        pipelines, chosen, loaded, lambda _r: update("scenarios", len(played) + 1, len(loaded))
                    )
                )
            finally:
                pipelines.close()
    regressions = [p.name for p in played if p.regressed]
    payload = {
        "adapter": chosen,
        "data": {"path": str(path), "mapped": mapped, **{k: v.as_dict() for k, v in results.items()}},
        "scenarios": [p.as_dict() for p in played],
        "regressions": regressions,
    }
    if as_json:
        print_json(payload)
    else:
        _print_comparison(chosen, results, played)
    if regressions:
        raise typer.Exit(EXIT_FAILED)


def _print_comparison(name: str, results: dict[str, Evaluation], played: list[ScenarioComparison]) -> None:
    out = Console(highlight=False)
    table = Table(title="labelled data")
    for column in ("model", "accuracy", "macro-F1", "served accuracy", "rows"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for key, e in results.items():
        served = fmt(e.served_accuracy) if e.served_accuracy is not None else "-"
        table.add_row(escape(key), fmt(e.accuracy), fmt(e.macro_f1), served, str(e.n))
    out.print(table)
    if not played:
        return
    scenarios = Table(title="scenarios")
    for column in ("scenario", "base", escape(name), "intent checks (base / adapter)"):
        scenarios.add_column(column)
    for p in played:
        b, a = p.intent_checks["base"], p.intent_checks["adapter"]
        scenarios.add_row(
            escape(p.name), "pass" if p.base.passed else "FAIL",
            ("[red]FAIL (regression)[/]" if p.regressed else "FAIL") if not p.adapter.passed else "pass",
            f"{b[0]}/{b[1]} / {a[0]}/{a[1]}",
        )
    out.print(scenarios)

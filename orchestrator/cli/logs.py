"""``voicebot orchestrator-log``: the structured log, filtered; ``--summary`` for p50/p95 per stage."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.cli.render import event_line
from orchestrator.eventsource import opened_event_source
from orchestrator.logquery import LEVELS, STAGES, LogFilter, LogQueryError, iter_events, parse_since, summarize

__all__ = ["orchestrator_log"]


def orchestrator_log(
    session: Annotated[str | None, typer.Option("--session", "-s", help="Only this session.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help=f"Only this stage: {', '.join(STAGES)}.")] = None,
    level: Annotated[str | None, typer.Option("--level", help=f"Minimum level: {', '.join(LEVELS)}.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO time or an age such as 10m, 2h, 30d.")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Counts and p50/p95 ms per stage instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line (or one summary object).")] = False,
) -> None:
    """Print the structured event log of every session (or one), filtered.

    Events come from the JSONL logs under VOICEBOT_HOME, or from the Redis Streams
    when VOICEBOT_STORE is redis://..., so any machine sees every worker's events.
    """
    settings = load_settings(as_json=as_json)
    try:
        flt = LogFilter(
            session=session,
            stage=stage.lower() if stage else None,
            level=level.upper() if level else None,
            since=parse_since(since) if since else None,
        )
        with voicebot_errors(as_json), opened_event_source(settings) as source:
            events = iter_events(source, flt)
            if summary:
                result = summarize(events)
                if as_json:
                    print_json(result)
                else:
                    _print_summary(result)
                return
            console = Console(highlight=False, soft_wrap=True)
            for event in events:
                if as_json:
                    print_json(event.model_dump(mode="json"))
                else:
                    console.print(event_line(event, with_session=session is None), markup=False)
    except LogQueryError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)


def _print_summary(result: dict[str, Any]) -> None:
    table = Table(title=f"{result['events']} events in {result['sessions']} sessions")
    for column in ("stage", "count", "errors", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, row in result["stages"].items():
        p50, p95 = ("-" if row[k] is None else str(row[k]) for k in ("p50_ms", "p95_ms"))
        table.add_row(stage, str(row["count"]), str(row["errors"]), p50, p95)
    Console().print(table)

"""``voicebot report``: the analytics report (Markdown, CSV and PNG) from the event logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.cli.common import EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.eventsource import opened_event_source
from orchestrator.logquery import LogFilter, LogQueryError, iter_events, parse_since
from orchestrator.report import build_report, write_report

__all__ = ["report"]


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for summary.md, CSVs and PNG plots.")],
    since: Annotated[str | None, typer.Option("--since", help="ISO time or an age such as 24h, 7d.")] = None,
    session: Annotated[str | None, typer.Option("--session", "-s", help="Only this session.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON too.")] = False,
) -> None:
    """Summarise turns, latency per stage, intents, containment, handoffs and cache hits, with plots.

    Reads the JSONL logs, or the Redis Streams when VOICEBOT_STORE is redis://....
    """
    settings = load_settings(as_json=as_json)
    try:
        flt = LogFilter(session=session, since=parse_since(since) if since else None)
        with voicebot_errors(as_json), opened_event_source(settings) as source:
            events = list(iter_events(source, flt))
    except LogQueryError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    if not events:
        fail("no events match: nothing to report", EXIT_USAGE, as_json=as_json, category="usage")
    result = build_report(events)
    if out.exists() and not out.is_dir():
        fail(f"{out} is not a folder", EXIT_USAGE, as_json=as_json, category="usage")
    written = write_report(result, out)
    if as_json:
        print_json({"out": str(out), "files": [p.name for p in written], **result.summary})
    else:
        s = result.summary
        Console().print(f"{s['turns']} turns in {s['sessions']} sessions; containment {s['containment']}; "
                        f"report written to {out} ({len(written)} files)", markup=False)

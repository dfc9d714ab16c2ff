"""``voicebot sessions list|show|export|purge``: the session store, from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.errors import SessionNotFoundError
from orchestrator.fsutil import atomic_write_text
from orchestrator.logquery import LogQueryError, parse_since
from orchestrator.runtime import default_store
from orchestrator.sessions.admin import (
    export_bundle,
    list_sessions,
    load_or_fail,
    orphan_logs,
    session_files,
)
from orchestrator.sessions.ids import validate_session_id
from orchestrator.sessions.purge import derived_sessions, purge_session

__all__ = ["sessions_app"]

sessions_app = typer.Typer(help="List, show, export and purge sessions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OlderOption = Annotated[str | None, typer.Option("--older-than", help="Only sessions idle this long, e.g. 30d, 12h.")]


def _older(value: str | None, as_json: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value)
    except LogQueryError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category="usage")


@sessions_app.command("list")
def list_command(older_than: OlderOption = None, as_json: JsonOption = False) -> None:
    """Sessions in the store, newest first (and logs left without a session)."""
    settings = load_settings(as_json=as_json)
    cutoff = _older(older_than, as_json)
    with voicebot_errors(as_json):
        store = default_store(settings)
        try:
            found = list_sessions(store, cutoff)
            orphans = orphan_logs(settings, store, cutoff)
        finally:
            store.close()
    if as_json:
        print_json({"sessions": [s.as_dict() for s in found], "orphan_logs": orphans})
        return
    table = Table(title=f"{len(found)} sessions")
    for column in ("session", "turns", "updated", "last intent", "state"):
        table.add_column(column)
    for s in found:
        table.add_row(s.session_id, str(s.turns), s.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
                      s.last_intent or "-", s.last_state or "-")
    Console().print(table)
    if orphans:
        Console(highlight=False).print(f"{len(orphans)} log(s) without a session: {', '.join(orphans)} "
                                       "(sessions purge ID removes them)", markup=False)


@sessions_app.command("show")
def show_command(session_id: Annotated[str, typer.Argument(help="Session id.")], as_json: JsonOption = False) -> None:
    """One session's state and history."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        store = default_store(settings)
        try:
            state = load_or_fail(store, session_id)
        finally:
            store.close()
    if as_json:
        print_json(state.model_dump(mode="json"))
        return
    console = Console(highlight=False)
    console.print(f"session {state.session_id}: {state.turns} turns, dialog state {state.dialog.get('state', '-')}",
                  markup=False)
    for entry in state.history:
        console.print(f"#{entry.turn} [{entry.input_kind}] caller: {entry.user}", markup=False)
        console.print(f"    bot ({entry.intent}): {entry.bot}", markup=False)


@sessions_app.command("export")
def export_command(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the bundle here (atomically).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A JSON bundle of the state, history and events (stdout, or --out)."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        store = default_store(settings)
        try:
            bundle = export_bundle(settings, store, session_id)
        finally:
            store.close()
    if out is None:
        print_json(bundle)
        return
    try:
        atomic_write_text(out, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        fail(f"cannot write the bundle to {out}: {exc.strerror}", EXIT_USAGE, as_json=as_json, category="usage")
    if as_json:
        print_json({"session_id": session_id, "path": str(out), "events": len(bundle["events"])})
    else:
        Console().print(f"exported {session_id} ({len(bundle['events'])} events) to {out}", markup=False)


@sessions_app.command("purge")
def purge_command(
    session_ids: Annotated[list[str] | None, typer.Argument(help="Sessions to delete.")] = None,
    older_than: OlderOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Required with --older-than (no prompt in scripts).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete sessions and the sessions derived from them (rr-/scn-/cmp-): state, event log, kept audio and the
    cache entries they made. State goes first, so an interrupted purge can be re-run. The audit chain is kept
    (retention; it holds only redacted text), and the output says so."""
    settings = load_settings(as_json=as_json)
    if not session_ids and older_than is None:
        fail("name the sessions to purge, or give --older-than AGE --yes", EXIT_USAGE, as_json=as_json,
             category="usage")
    if older_than is not None and not yes:
        fail("purging by age needs --yes", EXIT_USAGE, as_json=as_json, category="usage")
    cutoff = _older(older_than, as_json)
    with voicebot_errors(as_json):
        store = default_store(settings)
        try:
            targets = list(session_ids or [])
            for sid in targets:  # every named id is checked before anything is deleted
                if store.load(validate_session_id(sid)) is None and not session_files(settings, sid) \
                        and not derived_sessions(settings, store, sid):
                    raise SessionNotFoundError(f"no session {sid!r}: no state, no log and no audio")
            if cutoff is not None:
                targets += [s.session_id for s in list_sessions(store, cutoff)]
                targets += orphan_logs(settings, store, cutoff)
            results = [purge_session(settings, store, sid) for sid in dict.fromkeys(targets)]
        finally:
            store.close()
    if as_json:
        print_json({"purged": results})
        return
    console = Console(highlight=False, soft_wrap=True)
    for r in results:
        derived = f", {len(r['derived_sessions'])} derived session(s) ({', '.join(r['derived_sessions'])})" \
            if r["derived_sessions"] else ""
        console.print(f"purged {r['session_id']}: {len(r['states_deleted'])} state(s), {len(r['files_deleted'])} "
                      f"file(s) (log and audio){derived}, {r['cache_entries_deleted']} cache entr"
                      f"{'y' if r['cache_entries_deleted'] == 1 else 'ies'}", markup=False)
        if r["kept"]:
            chains = ", ".join(k["session_id"] for k in r["kept"])
            console.print(f"  kept: the audit chain of {chains}: {r['kept'][0]['why']}", markup=False)
    console.print(f"purged {len(results)} session(s)", markup=False)


@sessions_app.command("to-scenario")
def to_scenario_command(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the scenario into.")] = Path(
        "scenarios/recorded"
    ),
    name: Annotated[str | None, typer.Option("--name", help="Scenario name (default: recorded ID).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Save a session as a regression scenario (what the bot did becomes the expectation)."""
    from orchestrator.scenarios.record import save_session_as_scenario

    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        store = default_store(settings)
        try:
            path = save_session_as_scenario(settings, store, session_id, out, name)
        except (ValueError, FileNotFoundError) as exc:
            fail(str(exc), EXIT_USAGE, as_json=as_json, category="usage")
        finally:
            store.close()
    if as_json:
        print_json({"session_id": session_id, "path": str(path)})
    else:
        Console().print(f"saved {session_id} as {path}", markup=False)


@sessions_app.command("purge-audio")
def purge_audio_command(as_json: JsonOption = False) -> None:
    """Delete kept caller audio past VOICEBOT_AUDIO_RETENTION_DAYS (all of it when retention is off)."""
    from orchestrator.sessions.admin import purge_recordings

    settings = load_settings(as_json=as_json)
    removed = purge_recordings(settings)
    if as_json:
        print_json({"retention": settings.audio_retention, "days": settings.audio_retention_days,
                    "deleted": removed})
    else:
        Console().print(f"deleted {len(removed)} recording(s) (retention {settings.audio_retention}, "
                        f"{settings.audio_retention_days:g} days)", markup=False)

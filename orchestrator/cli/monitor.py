"""``voicebot monitor-session``: watch a session's stages live, from any process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.cli.common import load_settings, print_json, voicebot_errors
from orchestrator.cli.render import event_line
from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.events import DialogReply, Event, TurnEnded, TurnStarted, parse_event
from orchestrator.logquery import event_level
from orchestrator.runtime import default_store
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore

__all__ = ["FINAL_STATES", "follow_jsonl", "follow_redis", "monitor_session"]

FINAL_STATES = ("ended", "handoff")


def follow_jsonl(path: Path, poll_s: float = 0.1) -> Iterator[Event | None]:
    """Events appended to a JSONL file as they are written; None each time it has caught up.

    A torn last line waits for its end; a file that shrinks (purged and begun
    again) is read from the start.
    """
    offset = 0
    pending = b""
    while True:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < offset:
            offset, pending = 0, b""
        if size > offset:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read(size - offset)
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.strip():
                    try:
                        yield parse_event(line)
                    except ValueError:
                        continue
        yield None
        time.sleep(poll_s)


def follow_redis(store: RedisSessionStore, sid: str, block_ms: int | None = 500) -> Iterator[Event | None]:
    """Events on the session's Redis Stream, from its start; None each time it has caught up."""
    stream = RedisEventStream(store.client)
    last = "0"
    while True:
        for entry_id, event in stream.read(sid, last, block_ms=block_ms):
            last = entry_id
            yield event
        yield None


def _exists(settings: Settings, store: SessionStore, sid: str) -> bool:
    if store.load(sid) is not None or session_file(settings.logs_dir, sid, ".jsonl").exists():
        return True
    # A first turn still running on another machine has events but no saved state yet.
    return isinstance(store, RedisSessionStore) and RedisEventStream(store.client).has_events(sid)


def _source(settings: Settings, store: SessionStore, sid: str, follow: bool) -> Iterator[Event | None]:
    log = session_file(settings.logs_dir, sid, ".jsonl")
    if isinstance(store, RedisSessionStore) and (follow or not log.exists()):
        # The stream reaches other machines; a local log (complete, never trimmed) is best for history.
        return follow_redis(store, sid, 500 if follow else None)
    return follow_jsonl(log)


_STYLES = {"ERROR": "bold red", "WARNING": "yellow", "DEBUG": "dim"}


def monitor_session(
    session_id: Annotated[str, typer.Argument(help="The session to watch.")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep watching until the session ends.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="With --follow: wait for a session that has not started.")
    ] = False,
    idle_timeout: Annotated[
        float,
        typer.Option("--idle-timeout", min=0.0, help="With --follow: stop after this many idle seconds (0: never)."),
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Show a session's stages, transcripts, intents and latencies as they happen (Ctrl-C to stop).

    The session may run in another process: the browser app or 'voicebot turn'.
    With --follow it ends by itself once the call ends (a goodbye or a handoff
    with no turn running after it), or after --idle-timeout seconds without events.
    """
    settings = load_settings(as_json=as_json)
    console = Console(highlight=False, soft_wrap=True)
    with voicebot_errors(as_json):
        sid = validate_session_id(session_id)
        store = default_store(settings)
    try:
        with voicebot_errors(as_json):
            if not (follow and wait) and not _exists(settings, store, sid):
                raise SessionNotFoundError(
                    f"no session {sid!r} (no state and no log); use --follow --wait to wait for it"
                )
            source = _source(settings, store, sid, follow)
            _show(source, sid, follow, idle_timeout, as_json, console)
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way out of --follow
    finally:
        store.close()


def _show(
    source: Iterator[Event | None], sid: str, follow: bool, idle_timeout: float, as_json: bool, console: Console
) -> None:
    # The dialog state of the last reply; a failed turn leaves it as it was, like the session does.
    state: str | None = None
    in_turn = False
    idle_since = time.monotonic()
    for event in source:
        if event is None:  # caught up with everything written so far
            over = not in_turn and state in FINAL_STATES
            if not follow or over:
                break
            if idle_timeout and time.monotonic() - idle_since > idle_timeout:
                break
            continue
        idle_since = time.monotonic()
        if as_json:
            print_json(event.model_dump(mode="json"))
        else:
            style = _STYLES.get(event_level(event))
            console.print(event_line(event, with_session=False), markup=False, style=style)
        if isinstance(event, TurnStarted | TurnEnded):
            in_turn = isinstance(event, TurnStarted)
        elif isinstance(event, DialogReply):
            state = event.state
    if follow and not in_turn and state in FINAL_STATES and not as_json:
        console.print(f"session {sid} {state}", markup=False)

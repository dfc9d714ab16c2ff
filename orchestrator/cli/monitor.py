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
from orchestrator.events import DialogReply, Event, TurnEnded, parse_event
from orchestrator.runtime import default_store
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore

__all__ = ["follow_jsonl", "monitor_session"]

FINAL_STATES = ("ended", "handoff")


def follow_jsonl(path: Path, poll_s: float = 0.2) -> Iterator[Event | None]:
    """Events appended to a JSONL file, as they are written; yields None while idle."""
    offset = 0
    pending = b""
    while True:
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            offset += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")  # a torn last line waits for its end
            for line in lines:
                if line.strip():
                    try:
                        yield parse_event(line)
                    except ValueError:
                        continue
        yield None
        time.sleep(poll_s)


def _follow_redis(store: RedisSessionStore, sid: str) -> Iterator[Event | None]:
    stream = RedisEventStream(store.client)
    last = "0"
    while True:
        got = False
        for entry_id, event in stream.read(sid, last, block_ms=500):
            last, got = entry_id, True
            yield event
        if not got:
            yield None


def _exists(settings: Settings, sid: str) -> bool:
    store = default_store(settings)
    try:
        return store.load(sid) is not None or session_file(settings.logs_dir, sid, ".jsonl").exists()
    finally:
        store.close()


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
    """Show a session's stages, transcripts, intents and latencies as they happen (Ctrl-C to stop)."""
    settings = load_settings(as_json=as_json)
    console = Console(highlight=False, soft_wrap=True)
    with voicebot_errors(as_json):
        sid = validate_session_id(session_id)
        if not (follow and wait) and not _exists(settings, sid):
            raise SessionNotFoundError(f"no session {sid!r} (no state and no log); use --follow --wait to wait for it")
        store = default_store(settings)
        source: Iterator[Event | None]
        if follow and isinstance(store, RedisSessionStore):
            source = _follow_redis(store, sid)
        else:
            store.close()
            source = follow_jsonl(session_file(settings.logs_dir, sid, ".jsonl"))
    final_state: str | None = None
    idle_since = time.monotonic()
    try:
        for event in source:
            if event is None:
                if not follow:
                    break
                if idle_timeout and time.monotonic() - idle_since > idle_timeout:
                    break
                continue
            idle_since = time.monotonic()
            if as_json:
                print_json(event.model_dump(mode="json"))
            else:
                console.print(event_line(event, with_session=False), markup=False)
            if isinstance(event, DialogReply):
                final_state = event.state if event.state in FINAL_STATES else None
            if follow and isinstance(event, TurnEnded) and final_state is not None:
                if not as_json:
                    console.print(f"session {sid} {final_state}", markup=False)
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way out of --follow

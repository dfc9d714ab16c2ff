"""``voicebot monitor-session``: watch a session's stages live, from any process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.cli.common import load_settings, print_json, voicebot_errors
from orchestrator.cli.render import event_line
from orchestrator.errors import SessionNotFoundError
from orchestrator.events import DialogReply, Event, TurnEnded, TurnStarted
from orchestrator.eventsource import FINAL_STATES, follow_jsonl, open_follow, session_exists, watch
from orchestrator.logquery import event_level
from orchestrator.runtime import default_store
from orchestrator.sessions.ids import validate_session_id

__all__ = ["FINAL_STATES", "follow_jsonl", "monitor_session"]


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
            source, events = open_follow(settings, store, sid, follow)
            if not (follow and wait) and not session_exists(store, source, sid):
                raise SessionNotFoundError(
                    f"no session {sid!r} (no state and no log); use --follow --wait to wait for it"
                )
            _show(events, sid, follow, idle_timeout, as_json, console)
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way out of --follow
    finally:
        store.close()


def _show(
    source: Iterator[Event | None], sid: str, follow: bool, idle_timeout: float, as_json: bool, console: Console
) -> None:
    last: Event | None = None
    in_turn = False
    for event in watch(source, follow, idle_timeout):
        if as_json:
            print_json(event.model_dump(mode="json"))
        else:
            style = _STYLES.get(event_level(event))
            console.print(event_line(event, with_session=False), markup=False, style=style)
        if isinstance(event, TurnStarted | TurnEnded):
            in_turn = isinstance(event, TurnStarted)
        elif isinstance(event, DialogReply):
            last = event
    state = last.state if isinstance(last, DialogReply) else None
    if follow and not in_turn and state in FINAL_STATES and not as_json:
        console.print(f"session {sid} {state}", markup=False)

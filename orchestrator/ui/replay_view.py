"""A saved session redrawn for the browser: per turn, what the caller said, the steps, the reply."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.events import DialogReply, ErrorEvent, Event, Transcript, TurnStarted
from orchestrator.eventsource import opened_event_source
from orchestrator.sessions.ids import validate_session_id
from orchestrator.ui.present import StepView, steps_for

__all__ = ["ReplayTurn", "replay_views"]


@dataclass(frozen=True)
class ReplayTurn:
    """One recorded turn as the browser draws it."""

    turn: int
    caller: str
    steps: list[StepView]
    reply: str | None
    error: str | None


def _caller(events: list[Event]) -> str:
    heard = next((e.text for e in events if isinstance(e, Transcript)), None)
    typed = next((e.user_text for e in events if isinstance(e, DialogReply)), None)
    kind = next((e.input_kind for e in events if isinstance(e, TurnStarted)), "text")
    if heard is not None:
        return f"🎙️ {heard}"
    return typed if typed is not None else f"({kind} input, not understood)"


def replay_views(settings: Settings, session_id: str) -> list[ReplayTurn]:
    """Every recorded turn of a session (JSONL logs or Redis Streams); ``SessionNotFoundError`` if there is none."""
    sid = validate_session_id(session_id)
    by_turn: dict[int, list[Event]] = defaultdict(list)
    with opened_event_source(settings) as source:
        for event in source.read(sid):
            by_turn[event.turn].append(event)
    if not by_turn:
        raise SessionNotFoundError(f"no recorded turns for session {sid!r}")
    views = []
    for turn in sorted(by_turn):
        events = by_turn[turn]
        reply = next((e.text for e in events if isinstance(e, DialogReply)), None)
        error = next((e.message for e in events if isinstance(e, ErrorEvent)), None)
        views.append(ReplayTurn(turn, _caller(events), steps_for(events), reply, error))
    return views


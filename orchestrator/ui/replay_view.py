"""A saved session redrawn for the browser: per turn, what the caller said, the steps, the reply."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.eventsource import opened_event_source
from orchestrator.sessions.ids import validate_session_id
from orchestrator.turnview import TurnView, turn_views
from orchestrator.ui.present import StepView, view_steps

__all__ = ["ReplayTurn", "replay_views"]


@dataclass(frozen=True)
class ReplayTurn:
    """One recorded turn as the browser draws it."""

    turn: int
    caller: str
    steps: list[StepView]
    reply: str | None
    error: str | None


def _caller(view: TurnView) -> str:
    if view.heard is not None:
        return f"🎙️ {view.heard.text}"
    return view.caller if view.caller is not None else f"({view.input_kind or 'text'} input, not understood)"


def replay_views(settings: Settings, session_id: str) -> list[ReplayTurn]:
    """Every recorded turn of a session (JSONL logs or Redis Streams); ``SessionNotFoundError`` if there is none."""
    sid = validate_session_id(session_id)
    with opened_event_source(settings) as source:
        views = sorted(turn_views(source.read(sid)), key=lambda v: v.turn)
    if not views:
        raise SessionNotFoundError(f"no recorded turns for session {sid!r}")
    return [
        ReplayTurn(
            view.turn,
            _caller(view),
            view_steps(view),
            view.reply.text if view.reply is not None else None,
            view.error.message if view.error is not None else None,
        )
        for view in views
    ]


"""A saved session redrawn for the browser: per turn, what the caller said, the steps, the reply."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.trace import read_jsonl
from orchestrator.turnview import TurnView, turn_views
from orchestrator.ui.present import StepView, view_steps

__all__ = ["ReplayTurn", "recent_sessions", "replay_views"]


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
    """Every logged turn of a session; ``SessionNotFoundError`` if there is none."""
    sid = validate_session_id(session_id)
    path = session_file(settings.logs_dir, sid, ".jsonl")
    views = sorted(turn_views(read_jsonl(path) if path.exists() else []), key=lambda v: v.turn)
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


def recent_sessions(store: SessionStore, limit: int = 8, exclude: str | None = None) -> list[str]:
    """The most recently updated session ids."""
    return [sid for sid in store.list_ids() if sid != exclude][:limit]

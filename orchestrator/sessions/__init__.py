"""Per-call session state and the stores that keep it."""

from orchestrator.sessions.base import HistoryEntry, SessionState, SessionStore
from orchestrator.sessions.ids import new_session_id, validate_session_id
from orchestrator.sessions.sqlite import SqliteSessionStore

__all__ = [
    "HistoryEntry",
    "SessionState",
    "SessionStore",
    "SqliteSessionStore",
    "new_session_id",
    "validate_session_id",
]

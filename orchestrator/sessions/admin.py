"""Session housekeeping: list with ages, export a bundle, purge state, logs and recorded audio."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.sessions.base import SessionState, SessionStore
from orchestrator.sessions.ids import SESSION_ID_PATTERN, session_file, validate_session_id
from orchestrator.trace import read_jsonl

__all__ = ["SessionSummary", "export_bundle", "list_sessions", "purge_session", "recordings"]


@dataclass(frozen=True)
class SessionSummary:
    """One line of ``sessions list``."""

    session_id: str
    turns: int
    created_at: datetime
    updated_at: datetime
    last_intent: str | None
    last_state: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "session_id": self.session_id,
            "turns": self.turns,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_intent": self.last_intent,
            "last_state": self.last_state,
        }


def _summary(state: SessionState) -> SessionSummary:
    last = state.history[-1] if state.history else None
    return SessionSummary(
        state.session_id, state.turns, state.created_at, state.updated_at,
        last.intent if last else None, last.state if last else state.dialog.get("state"),
    )


def list_sessions(store: SessionStore, older_than: datetime | None = None) -> list[SessionSummary]:
    """Every session (newest first), or only those not updated since ``older_than``."""
    found = []
    for sid in store.list_ids():
        state = store.load(sid)
        if state is None:
            continue
        updated = state.updated_at if state.updated_at.tzinfo else state.updated_at.replace(tzinfo=UTC)
        if older_than is None or updated < older_than:
            found.append(_summary(state))
    return found


def load_or_fail(store: SessionStore, session_id: str) -> SessionState:
    """The state, or ``SessionNotFoundError`` naming the id."""
    state = store.load(validate_session_id(session_id))
    if state is None:
        raise SessionNotFoundError(f"no session {session_id!r} in the store")
    return state


def recordings(settings: Settings, session_id: str) -> list[Path]:
    """The caller audio kept for a session."""
    sid = validate_session_id(session_id)
    folder = settings.audio_dir
    if not folder.is_dir():
        return []
    prefix = f"{sid}-t"
    return sorted(
        p for p in folder.iterdir()
        if p.name.startswith(prefix) and p.name.endswith("-caller.wav") and p.name[len(prefix):-11].isdigit()
    )


def export_bundle(settings: Settings, store: SessionStore, session_id: str) -> dict[str, Any]:
    """State, history and every logged event of one session, as one JSON-ready object."""
    state = load_or_fail(store, session_id)
    log = session_file(settings.logs_dir, state.session_id, ".jsonl")
    events = [e.model_dump(mode="json") for e in read_jsonl(log)] if log.exists() else []
    return {
        "session": state.model_dump(mode="json"),
        "events": events,
        "recordings": [p.name for p in recordings(settings, state.session_id)],
        "exported_at": datetime.now(UTC).isoformat(),
    }


def purge_session(settings: Settings, store: SessionStore, session_id: str) -> dict[str, Any]:
    """Delete the state first, then the log and the recordings (a crash midway leaves no orphan state)."""
    sid = validate_session_id(session_id)
    existed = store.delete(sid)
    log = session_file(settings.logs_dir, sid, ".jsonl")
    removed = []
    for path in [log, *recordings(settings, sid)]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path.name)
    return {"session_id": sid, "state_deleted": existed, "files_deleted": removed}


def orphan_logs(settings: Settings, store: SessionStore) -> list[str]:
    """Sessions with a log file but no state (e.g. purged state, or a store switch)."""
    known = set(store.list_ids())
    if not settings.logs_dir.is_dir():
        return []
    stems = (p.stem for p in settings.logs_dir.glob("*.jsonl"))
    return sorted(s for s in stems if SESSION_ID_PATTERN.fullmatch(s) and s not in known)

"""Session housekeeping: list with ages, export a bundle, find a session's files (``purge`` deletes them)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.sessions.base import SessionState, SessionStore
from orchestrator.sessions.ids import SESSION_ID_PATTERN, session_file, validate_session_id

__all__ = [
    "SessionSummary",
    "export_bundle",
    "list_sessions",
    "load_or_fail",
    "orphan_logs",
    "purge_recordings",
    "recordings",
    "session_files",
]


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
    """The caller audio kept for a session (``<id>-tNNNN-caller.wav``)."""
    return _audio_files(settings, session_id, r"-t\d{4}-caller\.wav")


def session_files(settings: Settings, session_id: str) -> list[Path]:
    """Every file a session left: its event log, the caller audio and the reply audio of ``voicebot turn``."""
    sid = validate_session_id(session_id)
    log = session_file(settings.logs_dir, sid, ".jsonl")
    return ([log] if log.exists() else []) + _audio_files(settings, sid, r"-(t\d{4}-caller|turn\d+)\.wav")


def _audio_files(settings: Settings, session_id: str, suffix: str) -> list[Path]:
    sid = validate_session_id(session_id)
    folder = settings.audio_dir
    if not folder.is_dir():
        return []
    # Anchored on the whole name, so session "a" never matches the files of session "a-t0001".
    pattern = re.compile(re.escape(sid) + suffix)
    return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))


def export_bundle(settings: Settings, store: SessionStore, session_id: str) -> dict[str, Any]:
    """State, history and every recorded event of one session (JSONL logs or Redis Streams), as one object."""
    from orchestrator.eventsource import open_event_source

    state = load_or_fail(store, session_id)
    source = open_event_source(settings, store)
    try:
        events = [e.model_dump(mode="json") for e in source.read(state.session_id)]
    finally:
        source.close()
    return {
        "session": state.model_dump(mode="json"),
        "events": events,
        "recordings": [p.name for p in recordings(settings, state.session_id)],
        "exported_at": datetime.now(UTC).isoformat(),
    }


def orphan_logs(settings: Settings, store: SessionStore, older_than: datetime | None = None) -> list[str]:
    """Sessions with a log but no state (an interrupted purge, or another store), optionally idle since a time."""
    if not settings.logs_dir.is_dir():
        return []
    known = set(store.list_ids())
    found = []
    for path in settings.logs_dir.glob("*.jsonl"):
        if not SESSION_ID_PATTERN.fullmatch(path.stem) or path.stem in known:
            continue
        if older_than is None or datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
            found.append(path.stem)
    return sorted(found)


def purge_recordings(settings: Settings, now: datetime | None = None) -> list[str]:
    """Delete kept caller audio past ``VOICEBOT_AUDIO_RETENTION_DAYS`` (all of it when retention is off)."""
    folder = settings.audio_dir
    if not folder.is_dir():
        return []
    now = now or datetime.now(UTC)
    cutoff = now.timestamp() - settings.audio_retention_days * 86_400
    removed = []
    for path in sorted(folder.glob("*-caller.wav")):
        if settings.audio_retention == "off" or path.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.name)
    return removed

"""SQLite session store: the embedded default.

WAL mode lets the CLI read while the app writes; each save is one
transaction, so a killed process leaves the last committed state intact.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import validate_session_id

__all__ = ["SqliteSessionStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    state_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


def _use_wal(conn: sqlite3.Connection, wait_s: float) -> None:
    """Put the database in WAL mode (it stays so); waits while another process holds the lock.

    Switching the journal mode does not wait on SQLite's busy timeout, so two
    processes opening a new database at once would see "database is locked".
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class SqliteSessionStore:
    """Sessions as JSON rows in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        _use_wal(self._conn, wait_s=10.0)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()

    def load(self, session_id: str) -> SessionState | None:
        """The saved state, or None for an unknown session."""
        sid = validate_session_id(session_id)
        with self._lock:
            row = self._conn.execute(
                "SELECT state_json FROM sessions WHERE session_id = ?", (sid,)
            ).fetchone()
        return SessionState.model_validate_json(row[0]) if row else None

    def save(self, state: SessionState) -> None:
        """Upsert the state in one transaction."""
        sid = validate_session_id(state.session_id)
        state.updated_at = datetime.now(UTC)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO sessions (session_id, state_json, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET state_json = excluded.state_json, "
                "updated_at = excluded.updated_at",
                (sid, state.model_dump_json(), state.updated_at.isoformat()),
            )

    def list_ids(self) -> list[str]:
        """Every stored session id, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT session_id FROM sessions ORDER BY updated_at DESC"
            ).fetchall()
        return [r[0] for r in rows]

    def delete(self, session_id: str) -> bool:
        """Delete the session's row; True if it existed."""
        sid = validate_session_id(session_id)
        with self._lock, self._conn:
            cursor = self._conn.execute("DELETE FROM sessions WHERE session_id = ?", (sid,))
        return cursor.rowcount > 0

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

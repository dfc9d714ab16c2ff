"""In-memory session store, optionally kept in one JSON file.

With a ``path``, every save rewrites the file atomically (a temporary file,
then ``os.replace``), and a new store loads it: a killed process leaves
either the old file or the new one, never half of one.

It is meant for one process (tests, demos): a second process writing the
same file would overwrite sessions it never loaded. Use ``sqlite`` or
``redis`` when several processes write.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.errors import ConfigError
from orchestrator.fsutil import atomic_write_text
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import validate_session_id

__all__ = ["MemorySessionStore"]


class MemorySessionStore:
    """Sessions in a dict; ``path`` (optional) persists them as JSON."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._states: dict[str, SessionState] = {}
        if path is not None and path.exists():
            self._states = self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, SessionState]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {sid: SessionState.model_validate(state) for sid, state in data.items()}
        except (ValueError, AttributeError) as exc:
            raise ConfigError(f"the memory store file {path} is not a session store ({exc})") from None

    def _write(self) -> None:
        if self.path is not None:
            payload = {sid: state.model_dump(mode="json") for sid, state in self._states.items()}
            atomic_write_text(self.path, json.dumps(payload))

    def load(self, session_id: str) -> SessionState | None:
        """A copy of the saved state, or None for an unknown session."""
        sid = validate_session_id(session_id)
        with self._lock:
            state = self._states.get(sid)
            return state.model_copy(deep=True) if state is not None else None

    def save(self, state: SessionState) -> None:
        """Keep a copy (and rewrite the file, if any)."""
        validate_session_id(state.session_id)
        state.updated_at = datetime.now(UTC)
        with self._lock:
            self._states[state.session_id] = state.model_copy(deep=True)
            self._write()

    def list_ids(self) -> list[str]:
        """Every session id, newest first."""
        with self._lock:
            ordered = sorted(self._states.values(), key=lambda s: s.updated_at, reverse=True)
        return [s.session_id for s in ordered]

    def delete(self, session_id: str) -> bool:
        """Forget a session; True if it existed."""
        sid = validate_session_id(session_id)
        with self._lock:
            existed = self._states.pop(sid, None) is not None
            if existed:
                self._write()
        return existed

    def close(self) -> None:
        """Nothing to release."""

"""``sessions purge``: a session and everything made from it, and a plain account of what is kept.

Purged, for the session and for every session derived from it (replay
reruns, scenario runs and adapter comparisons of a scenario recorded from
it, and theirs in turn, see ``sessions.lineage``):

* its state in the store, first, so an interrupted purge leaves files a
  second purge removes;
* its event log and its kept audio (the caller's recordings and the reply
  audio ``voicebot turn`` wrote);
* the semantic-cache entries its turns made (each keeps a hash of its session).

Kept, and said so: the audit chain, for retention. It holds only the
redacted events, and deleting it would be exactly the tampering it exists
to show.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from orchestrator.audit import audit_paths, chain_ids
from orchestrator.cache.stores import open_cache_store
from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.sessions.admin import session_files
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import SESSION_ID_PATTERN, validate_session_id
from orchestrator.sessions.lineage import is_derived_from, session_tag

__all__ = ["AUDIT_KEPT_WHY", "derived_sessions", "purge_session"]

AUDIT_KEPT_WHY = "kept for retention: the tamper-evident record, holding only redacted text"


def _known_ids(settings: Settings, store: SessionStore) -> set[str]:
    """Every session id anything under VOICEBOT_HOME or in the store still knows."""
    known = set(store.list_ids()) | set(chain_ids(settings.audit_dir))
    if settings.logs_dir.is_dir():
        known |= {p.stem for p in settings.logs_dir.glob("*.jsonl") if SESSION_ID_PATTERN.fullmatch(p.stem)}
    return known


def derived_sessions(settings: Settings, store: SessionStore, session_id: str) -> list[str]:
    """The sessions derived from ``session_id``, and those derived from them, in the order found."""
    known = _known_ids(settings, store)
    found: list[str] = []
    frontier = [validate_session_id(session_id)]
    while frontier:
        source = frontier.pop()
        for candidate in sorted(known):
            if candidate not in found and candidate != session_id and is_derived_from(candidate, source):
                found.append(candidate)
                frontier.append(candidate)
    return found


def _remove_cache_entries(settings: Settings, session_ids: list[str]) -> int:
    tags = {session_tag(sid) for sid in session_ids}
    cache = open_cache_store(settings)
    try:
        doomed = [e.id for e in cache.load() if e.source in tags]
        return cache.remove(doomed) if doomed else 0
    finally:
        cache.close()


def _delete(paths: list[Path]) -> list[str]:
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path.name)
    return removed


def purge_session(settings: Settings, store: SessionStore, session_id: str) -> dict[str, Any]:
    """Delete the session and its derived sessions (state first, then files and cache entries).

    Raises ``SessionNotFoundError`` when the session has neither state nor files. Returns what was
    deleted and what was kept, with why.
    """
    sid = validate_session_id(session_id)
    derived = derived_sessions(settings, store, sid)
    if store.load(sid) is None and not session_files(settings, sid) and not derived:
        raise SessionNotFoundError(f"no session {sid!r}: no state, no log and no audio")
    everyone = [sid, *derived]
    states = [other for other in everyone if store.delete(other)]
    files = [name for other in everyone for name in _delete(session_files(settings, other))]
    entries = _remove_cache_entries(settings, everyone)
    kept = [
        {"what": "audit chain", "session_id": other, "file": audit_paths(settings.audit_dir, other)[0].name,
         "why": AUDIT_KEPT_WHY}
        for other in everyone if audit_paths(settings.audit_dir, other)[0].exists()
    ]
    return {
        "session_id": sid,
        "state_deleted": sid in states,
        "derived_sessions": derived,
        "states_deleted": states,
        "files_deleted": files,
        "cache_entries_deleted": entries,
        "kept": kept,
    }

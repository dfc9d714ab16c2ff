"""Which sessions were made from which: a derived session carries its source in its id.

A replay's rerun (``rr-``), a scenario run (``scn-``) and an adapter
comparison (``cmp-``) of a scenario recorded from a session are sessions of
their own, holding that session's (redacted) words. Their ids start with
the prefix and a short hash of the source session's id (never the id
itself: it may be long, and the derived id is shown and logged), so
``sessions purge`` finds and removes them with their source. A cache entry
keeps a longer hash of the session that made it, for the same reason.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from orchestrator.sessions.ids import validate_session_id

__all__ = ["DERIVED_PREFIXES", "derived_id", "is_derived_from", "session_tag"]

DERIVED_PREFIXES = ("rr", "scn", "cmp")
_TAG = 10  # hex digits of the source's hash in a derived id


def session_tag(session_id: str, length: int = 16) -> str:
    """A hash of a session id: it names the session without showing it."""
    sid = validate_session_id(session_id)
    return hashlib.sha256(b"voicebot-session\x00" + sid.encode("utf-8")).hexdigest()[:length]


def derived_id(prefix: str, source: str | None, label: str = "") -> str:
    """A fresh id for a session derived from ``source`` (None: from no session), e.g. ``rr-<tag>-<random>``."""
    if prefix not in DERIVED_PREFIXES:
        raise ValueError(f"unknown derived-session prefix {prefix!r}")
    parts = [prefix] + ([session_tag(source, _TAG)] if source is not None else [])
    label = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-")
    if label:
        parts.append(label[: 64 - len("-".join(parts)) - 10].strip("-"))
    parts.append(uuid.uuid4().hex[:8])
    return validate_session_id("-".join(p for p in parts if p))


def is_derived_from(candidate: str, source: str) -> bool:
    """True when ``candidate`` was derived from ``source`` (directly; see ``derived_id``)."""
    tag = session_tag(source, _TAG)
    return any(candidate.startswith(f"{prefix}-{tag}-") for prefix in DERIVED_PREFIXES)

"""Session ids: the only way a session id may reach a file name.

An id is 1-64 characters of letters, digits, ``_`` and ``-``, starting with
a letter or digit. Anything else (``..``, ``/``, NUL, unicode look-alikes,
over-long ids) is rejected before it touches a path or a query.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from orchestrator.errors import InvalidSessionIdError

__all__ = ["SESSION_ID_PATTERN", "new_session_id", "session_file", "validate_session_id"]

SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def validate_session_id(session_id: object) -> str:
    """Return the id unchanged if it is well formed, else raise ``InvalidSessionIdError``."""
    if not isinstance(session_id, str) or not SESSION_ID_PATTERN.fullmatch(session_id):
        shown = repr(session_id)[:80]
        raise InvalidSessionIdError(
            f"invalid session id {shown}: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return session_id


def new_session_id() -> str:
    """A fresh random id that satisfies the pattern."""
    return "s-" + secrets.token_hex(8)


def session_file(directory: Path, session_id: str, suffix: str) -> Path:
    """The file for a session inside ``directory``; the id is validated first."""
    sid = validate_session_id(session_id)
    path = (directory / f"{sid}{suffix}").resolve()
    if path.parent != directory.resolve():
        raise InvalidSessionIdError(f"session id {sid!r} escapes {directory}")
    return path

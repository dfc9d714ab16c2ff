"""Redis session store, with every event on a Redis Stream other processes can follow.

Selected with ``VOICEBOT_STORE=redis://host:port/db``. A session is one JSON
string (``voicebot:session:<id>``) plus its score in a sorted set of update
times (``voicebot:sessions``); both change in one MULTI/EXEC transaction.
Events go to ``voicebot:events:<id>`` (capped), read with XREAD by
``monitor-session --follow``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from orchestrator.errors import BackendError, ConfigError
from orchestrator.events import Event, parse_event
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import validate_session_id

__all__ = ["RedisEventStream", "RedisSessionStore", "connect", "display_url", "scrub"]

PREFIX = "voicebot"
STREAM_MAXLEN = 10_000


_CREDENTIALS_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/*)?(.*)@")


def display_url(url: str) -> str:
    """``url`` as it may be shown: everything before its last ``@`` (user and password) replaced by ``***``."""
    return _CREDENTIALS_RE.sub(lambda m: f"{m.group(1) or ''}***@", url, count=1)


def scrub(text: str, url: str) -> str:
    """``text`` (an error message, say) with the URL and any password in it replaced."""
    text = text.replace(url, display_url(url))
    with contextlib.suppress(ValueError):
        secret = urlsplit(url).password
        if secret:
            text = text.replace(secret, "***")
    return text


def connect(url: str) -> Any:
    """A redis client for ``url``, checked with PING; a clear error (never with the password) if it fails."""
    try:
        import redis
    except ImportError:
        raise ConfigError("VOICEBOT_STORE=redis://... needs the redis package: pip install redis") from None
    shown = display_url(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True)
        client.ping()
    except ValueError as exc:
        raise ConfigError(f"bad Redis url {shown!r}: {scrub(str(exc), url)}") from None
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach the Redis store at {shown}: {scrub(str(exc), url)}") from None
    return client


def _session_key(sid: str) -> str:
    return f"{PREFIX}:session:{sid}"


def _stream_key(sid: str) -> str:
    return f"{PREFIX}:events:{sid}"


class RedisSessionStore:
    """Sessions as JSON strings in Redis; safe to share between processes and machines."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        self.url = url
        self.client = client or connect(url)

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise BackendError(f"Redis store: {what} failed: {scrub(str(exc), self.url)}", stage="store") from None

    def load(self, session_id: str) -> SessionState | None:
        """The saved state, or None for an unknown session."""
        sid = validate_session_id(session_id)
        raw = self._call("load", self.client.get, _session_key(sid))
        return SessionState.model_validate_json(raw) if raw else None

    def save(self, state: SessionState) -> None:
        """Write the state and its update time in one transaction."""
        sid = validate_session_id(state.session_id)
        state.updated_at = datetime.now(UTC)

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(_session_key(sid), state.model_dump_json())
            pipe.zadd(f"{PREFIX}:sessions", {sid: state.updated_at.timestamp()})
            pipe.execute()

        self._call("save", write)

    def list_ids(self) -> list[str]:
        """Every session id, newest first."""
        return list(self._call("list", self.client.zrevrange, f"{PREFIX}:sessions", 0, -1))

    def delete(self, session_id: str) -> bool:
        """Delete the state, its index entry and its event stream."""
        sid = validate_session_id(session_id)

        def remove() -> int:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(_session_key(sid))
            pipe.zrem(f"{PREFIX}:sessions", sid)
            pipe.delete(_stream_key(sid))
            return int(pipe.execute()[0])

        return bool(self._call("delete", remove))

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


class RedisEventStream:
    """A tracer sink that appends each (already redacted) event to the session's stream, and a reader."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, event: Event) -> None:
        import redis

        # On a Redis error the JSONL log still has the event; a live monitor just misses it.
        with contextlib.suppress(redis.RedisError):
            self.client.xadd(
                _stream_key(event.session_id), {"event": event.model_dump_json()}, maxlen=STREAM_MAXLEN,
                approximate=True,
            )

    def has_events(self, session_id: str) -> bool:
        """True if the session's stream holds any event."""
        return bool(self.client.exists(_stream_key(validate_session_id(session_id))))

    def read(self, session_id: str, last_id: str = "0", block_ms: int | None = None) -> Iterator[tuple[str, Event]]:
        """Events after ``last_id`` (blocking up to ``block_ms`` for new ones)."""
        sid = validate_session_id(session_id)
        answer = self.client.xread({_stream_key(sid): last_id}, block=block_ms, count=500)
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                try:
                    yield entry_id, parse_event(fields["event"])
                except (KeyError, ValueError):
                    continue

"""Redis session store, with every event on a Redis Stream other processes can follow.

Selected with ``VOICEBOT_STORE=redis://host:port/db``. A session is one JSON
string (``voicebot:session:<id>``) plus its score in a sorted set of update
times (``voicebot:sessions``); both change in one MULTI/EXEC transaction.
Events go to ``voicebot:events:<id>`` (capped), read back through
``orchestrator.eventsource.RedisEventSource`` by every command that reads
events; a Redis failure is ``StoreUnavailableError`` (HTTP 503 in the service).
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from orchestrator.errors import ConfigError, StoreUnavailableError
from orchestrator.events import Event
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import validate_session_id

__all__ = [
    "RedisEventStream", "RedisSessionStore", "connect", "display_url", "redis_call", "reply_key", "scrub", "stream_key",
]

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
    from redis.backoff import ExponentialWithJitterBackoff
    from redis.retry import Retry

    shown = display_url(url)
    try:
        # A few quick retries, then a clear error: a turn fails fast while Redis is away
        # and the next one reconnects by itself (the pool drops broken connections).
        retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.2), retries=3)
        client = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True, retry=retry
        )
        client.ping()
    except ValueError as exc:
        raise ConfigError(f"bad Redis url {shown!r}: {scrub(str(exc), url)}") from None
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach the Redis store at {shown}: {scrub(str(exc), url)}") from None
    return client


def redis_call(what: str, fn: Any, *args: Any, url: str | None = None, **kwargs: Any) -> Any:
    """``fn(*args)``, with any Redis failure turned into ``StoreUnavailableError`` naming ``what``.

    ``url`` (the store's) is scrubbed out of the message, password and all.
    """
    import redis

    try:
        return fn(*args, **kwargs)
    except redis.RedisError as exc:
        detail = scrub(str(exc), url) if url else str(exc)
        raise StoreUnavailableError(f"store unavailable: Redis {what} failed: {detail}") from None


def _session_key(sid: str) -> str:
    return f"{PREFIX}:session:{sid}"


def stream_key(sid: str) -> str:
    """The Redis Stream holding a session's events (the id must be validated already)."""
    return f"{PREFIX}:events:{sid}"


def reply_key(sid: str) -> str:
    """The hash holding a session's reply audio, one field per turn (the id must be validated already)."""
    return f"{PREFIX}:replies:{sid}"


class RedisSessionStore:
    """Sessions as JSON strings in Redis; safe to share between processes and machines."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        self.url = url
        self.client = client or connect(url)

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        return redis_call(f"session {what}", fn, *args, url=self.url)

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
        """Delete the state, its index entry, its event stream and its reply audio."""
        sid = validate_session_id(session_id)

        def remove() -> int:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(_session_key(sid))
            pipe.zrem(f"{PREFIX}:sessions", sid)
            pipe.delete(stream_key(sid))
            pipe.delete(reply_key(sid))
            return int(pipe.execute()[0])

        return bool(self._call("delete", remove))

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


class RedisEventStream:
    """A tracer sink that appends each (already redacted) event to the session's stream.

    ``orchestrator.eventsource.RedisEventSource`` reads the streams back.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, event: Event) -> None:
        import redis

        # On a Redis error the JSONL log still has the event; a live monitor just misses it.
        with contextlib.suppress(redis.RedisError):
            self.client.xadd(
                stream_key(event.session_id), {"event": event.model_dump_json()}, maxlen=STREAM_MAXLEN,
                approximate=True,
            )

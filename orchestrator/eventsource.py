"""Where a session's events are read back from: the local JSONL logs, or the Redis Streams.

Every reader of recorded events (``orchestrator-log``, ``report``, ``sessions
export``, ``replay-session``, ``monitor-session``, ``metrics``, the service's
SSE stream) goes through one ``EventSource``:

* ``JsonlEventSource``: ``VOICEBOT_HOME/logs/<session>.jsonl``, written by
  every process on this machine;
* ``RedisEventSource``: ``voicebot:events:<session>``, written by every worker
  that shares the Redis store, so a session can be inspected from any machine.

``open_event_source(settings)`` picks Redis when ``VOICEBOT_STORE`` is
``redis://...`` and the JSONL logs otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from orchestrator.config import Settings
from orchestrator.events import DialogReply, Event, TurnEnded, TurnStarted, parse_event
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import SESSION_ID_PATTERN, session_file, validate_session_id
from orchestrator.trace import read_jsonl

__all__ = [
    "FINAL_STATES",
    "EventSource",
    "JsonlEventSource",
    "RedisEventSource",
    "as_event_source",
    "follow_jsonl",
    "is_redis_url",
    "open_event_source",
    "open_follow",
    "opened_event_source",
    "session_exists",
    "watch",
]

FINAL_STATES = ("ended", "handoff")


def is_redis_url(value: str) -> bool:
    """True for a ``VOICEBOT_STORE`` value that names a Redis server."""
    return value.strip().startswith(("redis://", "rediss://", "unix://"))


@runtime_checkable
class EventSource(Protocol):
    """Recorded events, per session, in the order they were emitted."""

    description: str

    def session_ids(self) -> list[str]:
        """Every session that has events (sorted)."""
        ...

    def has_events(self, session_id: str) -> bool:
        """True if the session has any event."""
        ...

    def read(self, session_id: str) -> Iterator[Event]:
        """The session's events so far, oldest first (an unknown session has none)."""
        ...

    def follow(self, session_id: str) -> Iterator[Event | None]:
        """The session's events from its start, then live ones; None each time it has caught up."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def follow_jsonl(path: Path, poll_s: float = 0.1) -> Iterator[Event | None]:
    """Events appended to a JSONL file as they are written; None each time it has caught up.

    A torn last line waits for its end; a file that shrinks (purged and begun
    again) is read from the start.
    """
    offset = 0
    pending = b""
    while True:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < offset:
            offset, pending = 0, b""
        if size > offset:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read(size - offset)
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.strip():
                    try:
                        yield parse_event(line)
                    except ValueError:
                        continue
        yield None
        time.sleep(poll_s)


class JsonlEventSource:
    """The per-session JSONL logs under one directory."""

    def __init__(self, logs_dir: Path, poll_s: float = 0.1) -> None:
        self.logs_dir = logs_dir
        self.poll_s = poll_s
        self.description = f"logs {logs_dir}"

    def _path(self, session_id: str) -> Path:
        return session_file(self.logs_dir, session_id, ".jsonl")

    def session_ids(self) -> list[str]:
        """Sessions with a log file (names that are not session ids are ignored)."""
        if not self.logs_dir.is_dir():
            return []
        return sorted(p.stem for p in self.logs_dir.glob("*.jsonl") if SESSION_ID_PATTERN.fullmatch(p.stem))

    def has_events(self, session_id: str) -> bool:
        """True if the session has a log file."""
        return self._path(session_id).exists()

    def read(self, session_id: str) -> Iterator[Event]:
        """The logged events; a torn or foreign line is skipped."""
        return read_jsonl(self._path(session_id))

    def follow(self, session_id: str) -> Iterator[Event | None]:
        """Tail the session's log."""
        return follow_jsonl(self._path(session_id), self.poll_s)

    def close(self) -> None:
        """Nothing to release."""


class RedisEventSource:
    """The per-session Redis Streams every worker of a shared Redis store appends to."""

    def __init__(self, client: Any, *, owns_client: bool = False, block_ms: int = 500, batch: int = 500) -> None:
        self.client = client
        self._owns = owns_client
        self.block_ms = block_ms
        self.batch = batch
        kwargs = client.connection_pool.connection_kwargs
        self.description = f"redis {kwargs.get('host', kwargs.get('path', ''))}:{kwargs.get('port', '')}"

    @staticmethod
    def _key(session_id: str) -> str:
        from orchestrator.sessions.redis_store import stream_key

        return stream_key(validate_session_id(session_id))

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from orchestrator.sessions.redis_store import redis_call

        return redis_call(f"event stream: {what}", fn, *args, **kwargs)

    def session_ids(self) -> list[str]:
        """Sessions whose stream exists (SCAN, so a large keyspace is never blocked)."""
        from orchestrator.sessions.redis_store import stream_key

        prefix = stream_key("")
        found = {
            key[len(prefix):]
            for key in self._call("list", lambda: list(self.client.scan_iter(match=f"{prefix}*", count=1000)))
        }
        return sorted(sid for sid in found if SESSION_ID_PATTERN.fullmatch(sid))

    def has_events(self, session_id: str) -> bool:
        """True if the session's stream holds any event."""
        return bool(self._call("exists", self.client.exists, self._key(session_id)))

    def _entries(self, session_id: str, last_id: str, block_ms: int | None) -> list[tuple[str, Event]]:
        answer = self._call("read", self.client.xread, {self._key(session_id): last_id}, block=block_ms,
                            count=self.batch)
        out: list[tuple[str, Event]] = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                try:
                    out.append((entry_id, parse_event(fields["event"])))
                except (KeyError, ValueError):
                    continue
        return out

    def read(self, session_id: str) -> Iterator[Event]:
        """Every event on the stream now, in batches (the stream is capped, oldest trimmed first)."""
        last = "0"
        while True:
            batch = self._entries(session_id, last, None)
            if not batch:
                return
            last = batch[-1][0]
            yield from (event for _id, event in batch)

    def follow(self, session_id: str) -> Iterator[Event | None]:
        """The stream from its start, then XREAD BLOCK for new entries."""
        last = "0"
        while True:
            batch = self._entries(session_id, last, self.block_ms)
            if batch:
                last = batch[-1][0]
            yield from (event for _id, event in batch)
            yield None

    def close(self) -> None:
        """Close the connection pool if this source opened it."""
        if self._owns:
            self.client.close()


def open_event_source(settings: Settings, store: SessionStore | None = None) -> EventSource:
    """The Redis Streams when the sessions live in Redis, else the JSONL logs under ``VOICEBOT_HOME``.

    With a Redis ``store`` its connection is shared (and closed with the store).
    """
    from orchestrator.sessions.redis_store import RedisSessionStore, connect

    if isinstance(store, RedisSessionStore):
        return RedisEventSource(store.client)
    if is_redis_url(settings.store):
        return RedisEventSource(connect(settings.store.strip()), owns_client=True)
    return JsonlEventSource(settings.logs_dir)


def as_event_source(source: EventSource | Path) -> EventSource:
    """A source as given, or the JSONL logs in a directory."""
    return JsonlEventSource(source) if isinstance(source, Path) else source


@contextmanager
def opened_event_source(settings: Settings) -> Iterator[EventSource]:
    """``open_event_source(settings)`` for the length of a ``with`` block."""
    source = open_event_source(settings)
    try:
        yield source
    finally:
        source.close()


def session_exists(store: SessionStore, source: EventSource, sid: str) -> bool:
    """A saved state or any event: a first turn still running elsewhere has events but no state yet."""
    return store.load(sid) is not None or source.has_events(sid)


def open_follow(
    settings: Settings, store: SessionStore, sid: str, follow: bool
) -> tuple[EventSource, Iterator[Event | None]]:
    """The source that holds the session's events and its iterator (live with ``follow``)."""
    local = JsonlEventSource(settings.logs_dir)
    shared = open_event_source(settings, store)
    if isinstance(shared, RedisEventSource) and (follow or not local.has_events(sid)):
        # The stream reaches other machines; a local log (complete, never trimmed) is best for history.
        return shared, shared.follow(sid)
    return local, local.follow(sid)


def watch(source: Iterator[Event | None], follow: bool, idle_timeout: float = 0.0) -> Iterator[Event]:
    """The events of ``source`` until it has caught up (or, with ``follow``, until the call ends or goes idle).

    The call has ended after a goodbye or a handoff with no turn running after it.
    """
    # The dialog state of the last reply; a failed turn leaves it as it was, like the session does.
    state: str | None = None
    in_turn = False
    idle_since = time.monotonic()
    for event in source:
        if event is None:  # caught up with everything written so far
            over = not in_turn and state in FINAL_STATES
            if not follow or over:
                return
            if idle_timeout and time.monotonic() - idle_since > idle_timeout:
                return
            continue
        idle_since = time.monotonic()
        yield event
        if isinstance(event, TurnStarted | TurnEnded):
            in_turn = isinstance(event, TurnStarted)
        elif isinstance(event, DialogReply):
            state = event.state

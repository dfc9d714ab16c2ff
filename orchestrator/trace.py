"""Tracer: every event goes through ``emit``, is redacted once, then fans out.

Sinks are plain callables taking an event. Two ship here:

* ``JsonlSink`` writes one JSON line per event to ``<logs>/<session>.jsonl``
  through loguru, so a second process (``monitor-session``) can tail it;
* ``EventBus`` hands events to in-process subscribers (the Chainlit UI).

A failing sink never breaks a turn: the failure is reported on stderr
through loguru and the other sinks still run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from loguru import logger

from orchestrator.compliance import redact_event
from orchestrator.events import AnyEvent, Event, parse_event
from orchestrator.sessions.ids import session_file

__all__ = ["EventBus", "JsonlSink", "Sink", "Tracer", "read_jsonl"]

Sink = Callable[[Event], None]


class JsonlSink:
    """Append each event as one JSON line to its session's log file (via loguru)."""

    def __init__(self, logs_dir: Path) -> None:
        self.logs_dir = logs_dir
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # A dedicated loguru handler that only takes records bound as events.
        self._handler_id = logger.add(
            self._write,
            format="{message}",
            level="DEBUG",
            filter=lambda record: record["extra"].get("voicebot_sink") == id(self),
            catch=True,
        )

    def path_for(self, session_id: str) -> Path:
        """The log file of a session (the id is validated first)."""
        return session_file(self.logs_dir, session_id, ".jsonl")

    def __call__(self, event: Event) -> None:
        line = event.model_dump_json()
        logger.bind(voicebot_sink=id(self), session_id=event.session_id).info(line)

    def _write(self, message: Any) -> None:
        record = message.record
        path = self.path_for(record["extra"]["session_id"])
        data = (record["message"].rstrip("\n") + "\n").encode("utf-8")
        # One write() per line on an O_APPEND file: a killed process can leave at
        # most a torn last line, which read_jsonl skips; the next line starts afresh.
        with self._lock, path.open("a+b") as fh:
            end = fh.seek(0, 2)
            if end:
                fh.seek(end - 1)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
            fh.write(data)  # append mode: always at the end, wherever the read left off

    def close(self) -> None:
        """Detach from loguru."""
        with contextlib.suppress(ValueError):
            logger.remove(self._handler_id)


def read_jsonl(path: Path) -> Iterator[Event]:
    """Events from a JSONL log, skipping a torn or foreign line instead of failing."""
    if not path.exists():
        return
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                yield parse_event(json.loads(line))
            except (ValueError, TypeError):
                continue


class EventBus:
    """In-process publish/subscribe for live consumers such as the UI."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str | None, Callable[[Event], None]]] = []
        self._lock = threading.Lock()

    def subscribe(
        self, callback: Callable[[Event], None], session_id: str | None = None
    ) -> Callable[[], None]:
        """Call ``callback`` for each event (of one session, if given); returns an unsubscribe."""
        entry = (session_id, callback)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def queue(self, session_id: str | None = None) -> tuple[asyncio.Queue[Event], Callable[[], None]]:
        """An asyncio queue fed with events; safe to publish from any thread."""
        loop = asyncio.get_running_loop()
        q: asyncio.Queue[Event] = asyncio.Queue()

        def push(event: Event) -> None:
            loop.call_soon_threadsafe(q.put_nowait, event)

        return q, self.subscribe(push, session_id)

    def __call__(self, event: Event) -> None:
        with self._lock:
            targets = [cb for sid, cb in self._subscribers if sid in (None, event.session_id)]
        for cb in targets:
            cb(event)


class Tracer:
    """Redacts each event once and hands it to every sink."""

    def __init__(self, sinks: list[Sink] | None = None) -> None:
        self.sinks: list[Sink] = list(sinks or [])

    def add_sink(self, sink: Sink) -> None:
        """Attach another sink."""
        self.sinks.append(sink)

    def emit(self, event: AnyEvent) -> AnyEvent:
        """Redact, fan out, and return the redacted event."""
        clean = redact_event(event)
        for sink in self.sinks:
            try:
                sink(clean)
            except Exception as exc:  # a broken sink must not break the call
                logger.warning("trace sink {!r} failed: {}", sink, exc)
        return clean

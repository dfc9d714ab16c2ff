"""Query the structured logs: every event of every session, filtered, and summed up with pandas.

Events come from an ``EventSource`` (``orchestrator.eventsource``): the
per-session JSONL files under ``VOICEBOT_HOME/logs`` (every process on this
machine writes them), or the Redis Streams when the sessions live in Redis,
so any machine sees what every worker logged.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from orchestrator.errors import InputError, SessionNotFoundError
from orchestrator.events import STAGES, ErrorEvent, Event, TTSChunk, TurnEnded, event_ms, event_stage
from orchestrator.sessions.ids import validate_session_id

if TYPE_CHECKING:
    from orchestrator.eventsource import EventSource

__all__ = [
    "LEVELS",
    "STAGES",
    "LogFilter",
    "event_level",
    "event_ms",
    "event_stage",
    "iter_events",
    "parse_since",
    "summarize",
]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class LogQueryError(InputError):
    """A filter the log query cannot use."""

    category = "usage"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``"10m"``, ``"2h"``, ``"30d"`` ago, or an ISO-8601 time (UTC if no zone)."""
    now = now or datetime.now(UTC)
    match = _DURATION_RE.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LogQueryError(f"bad time {text!r}: use an ISO time (2026-11-24T09:30) or an age (10m, 2h, 30d)") from None
    return _utc(moment)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_level(event: Event) -> str:
    """ERROR for an error, WARNING for a turn that failed (not one cut short), DEBUG for TTS pieces, INFO otherwise."""
    if isinstance(event, ErrorEvent):
        return "WARNING" if event.recovered else "ERROR"
    if isinstance(event, TurnEnded) and not event.ok and not event.cut:
        return "WARNING"
    if isinstance(event, TTSChunk):
        return "DEBUG"
    return "INFO"


@dataclass(frozen=True)
class LogFilter:
    """What ``orchestrator-log`` keeps."""

    session: str | None = None
    stage: str | None = None
    level: str | None = None  # the minimum level
    since: datetime | None = None

    def keeps(self, event: Event) -> bool:
        """True if the event passes every filter."""
        if self.stage is not None and event_stage(event) != self.stage:
            return False
        if self.level is not None and LEVELS.index(event_level(event)) < LEVELS.index(self.level):
            return False
        return self.since is None or _utc(event.wall_time) >= self.since


def iter_events(source: EventSource | Path, flt: LogFilter) -> Iterator[Event]:
    """Every kept event, all sessions merged in wall-clock order; a named session must have events.

    ``source`` is an ``EventSource`` or a directory of JSONL logs.
    """
    from orchestrator.eventsource import as_event_source

    events = as_event_source(source)
    if flt.session is not None and not events.has_events(validate_session_id(flt.session)):
        raise SessionNotFoundError(f"no log for session {flt.session!r} in {events.description}")
    if flt.stage is not None and flt.stage not in STAGES:
        raise LogQueryError(f"unknown stage {flt.stage!r}: choose one of {', '.join(STAGES)}")
    if flt.level is not None and flt.level not in LEVELS:
        raise LogQueryError(f"unknown level {flt.level!r}: choose one of {', '.join(LEVELS)}")
    sessions = [flt.session] if flt.session is not None else events.session_ids()
    # Each session's events are already in time order, so a streaming merge keeps memory flat.
    streams = [(e for e in events.read(sid) if flt.keeps(e)) for sid in sessions]
    yield from heapq.merge(*streams, key=lambda e: _utc(e.wall_time))


def summarize(events: Iterable[Event]) -> dict[str, Any]:
    """Per stage: event count, errors, and p50/p95 of the milliseconds (pandas)."""
    rows = [
        {"stage": event_stage(e), "level": event_level(e), "ms": event_ms(e), "session": e.session_id}
        for e in events
        if not isinstance(e, TTSChunk)
    ]
    if not rows:
        return {"events": 0, "sessions": 0, "stages": {}}
    frame = pd.DataFrame(rows)
    stages: dict[str, Any] = {}
    for stage, group in frame.groupby("stage", sort=True):
        ms = group["ms"].dropna().astype(float)
        stages[str(stage)] = {
            "count": len(group),
            "errors": int((group["level"] == "ERROR").sum()),
            "p50_ms": round(float(ms.quantile(0.5)), 1) if len(ms) else None,
            "p95_ms": round(float(ms.quantile(0.95)), 1) if len(ms) else None,
        }
    return {"events": len(frame), "sessions": int(frame["session"].nunique()), "stages": stages}

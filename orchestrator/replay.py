"""Replay a recorded session: redraw it turn by turn, or re-run its inputs and diff every stage.

The record is the session's events (redacted at the source), from the JSONL
logs or the Redis Streams (``orchestrator.eventsource``), plus the caller
audio the pipeline kept on this machine. A re-run feeds the same text or the
same audio through today's pipeline in a fresh session (``rr-`` plus a hash of
the recorded session's id, see ``sessions.lineage``) and compares transcript,
intent, slots, reply, quoted figures and latency. The CLI runs it without the
semantic cache unless asked, so a cached answer can never hide what today's
dialog says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError, VoicebotError
from orchestrator.eventsource import EventSource, open_event_source
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.sessions.lineage import derived_id
from orchestrator.turnview import TurnView, turn_views

__all__ = ["TurnDiff", "TurnRecord", "latency_regressions", "recorded_turns", "rerun"]


@dataclass
class TurnRecord:
    """What one recorded turn took in and gave out."""

    turn: int
    input_kind: str
    user_text: str | None = None
    transcript: str | None = None
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    reply: str | None = None
    figures: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    ok: bool | None = None
    error: str | None = None
    recording: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)

    @classmethod
    def of(cls, view: TurnView) -> TurnRecord:
        """The record of one logged turn (its view must hold its ``turn_started``)."""
        assert view.input_kind is not None
        record = cls(turn=view.turn, input_kind=view.input_kind)
        record.recording = view.recording_file
        if view.heard is not None:
            record.transcript = view.heard.text
        if (reply := view.reply) is not None:
            record.user_text, record.intent, record.slots = reply.user_text, reply.intent, reply.slots
            record.state, record.reply, record.figures = reply.state, reply.text, reply.figures
        if view.error is not None:
            record.error = f"{view.error.category}: {view.error.message}"
        if view.ended is not None:
            record.ok, record.timings_ms = view.ended.ok, view.ended.timings_ms
        return record


def recorded_turns(settings: Settings, session_id: str, source: EventSource | None = None) -> list[TurnRecord]:
    """The session's turns from its events (``source``, or the settings' own); ``SessionNotFoundError`` if none."""
    sid = validate_session_id(session_id)
    events = source or open_event_source(settings)
    try:
        views = [v for v in turn_views(events.read(sid)) if v.input_kind is not None]
    finally:
        if source is None:
            events.close()
    if not views:
        raise SessionNotFoundError(f"no recorded turns for session {sid!r} in {events.description}")
    return [TurnRecord.of(view) for view in sorted(views, key=lambda v: v.turn)]


@dataclass
class TurnDiff:
    """How one re-run turn differs from its record."""

    turn: int
    replayable: bool
    differences: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @property
    def regression(self) -> bool:
        """Any difference is a regression."""
        return bool(self.differences)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"turn": self.turn, "replayable": self.replayable, "regression": self.regression,
                "differences": self.differences, "note": self.note}


def latency_regressions(
    before: dict[str, float], after: dict[str, float], tolerance: float, slack_ms: float
) -> list[dict[str, Any]]:
    """Each stage timing that grew past ``before * (1 + tolerance) + slack_ms``."""
    found = []
    for key in sorted(before.keys() & after.keys()):
        allowed = round(before[key] * (1 + tolerance) + slack_ms, 1)
        if after[key] > allowed:
            found.append({"stage": "latency", "timing": key, "before": before[key], "after": after[key],
                          "allowed": allowed})
    return found


def _compare(
    record: TurnRecord, result: TurnResult, tolerance: float, slack_ms: float, *, with_transcript: bool
) -> list[dict[str, Any]]:
    pairs: list[tuple[str, Any, Any]] = [
        ("intent", record.intent, result.intent),
        ("slots", record.slots, result.slots),
        ("reply", record.reply, result.reply),
        ("figures", record.figures, result.figures),
    ]
    if with_transcript:
        pairs.insert(0, ("transcript", record.transcript, result.transcript))
    diffs = [{"stage": name, "before": before, "after": after} for name, before, after in pairs if before != after]
    return diffs + latency_regressions(record.timings_ms, result.timings_ms, tolerance, slack_ms)


async def rerun(
    pipeline: Pipeline, records: list[TurnRecord], session_id: str, *, tolerance: float = 0.5, slack_ms: float = 100.0
) -> tuple[str, list[TurnDiff]]:
    """Feed the recorded inputs through ``pipeline`` in a fresh session; the new id and a diff per turn."""
    sid = validate_session_id(session_id)
    fresh = derived_id("rr", sid)
    diffs: list[TurnDiff] = []
    for record in records:
        given: dict[str, Any] = {}
        note = ""
        if record.input_kind == "audio":
            # The file name is rebuilt from the validated id, never taken from the log.
            path = session_file(pipeline.settings.audio_dir, sid, f"-t{record.turn:04d}-caller.wav")
            if record.recording is not None and path.exists():
                given = {"audio": path}
            elif record.user_text:
                # Keep the dialog on the recorded path; only the speech-to-text goes unchecked.
                given, note = {"text": record.user_text}, "no recorded audio: replayed the recorded transcript as text"
            else:
                diffs.append(TurnDiff(record.turn, False, note="no recorded audio and no transcript for this turn"))
                continue
        elif record.user_text:
            given = {"text": record.user_text}
        else:
            note = f"the turn failed before its text was logged ({record.error})"
            diffs.append(TurnDiff(record.turn, False, note=note))
            continue
        try:
            result = await pipeline.run_turn(fresh, **given)
        except VoicebotError as exc:
            if record.ok is False:
                diffs.append(TurnDiff(record.turn, True, note=f"failed again: {exc.category}"))
            else:
                failed = {"stage": "error", "before": None, "after": f"{exc.category}: {exc.message}"}
                diffs.append(TurnDiff(record.turn, True, [failed], note))
            continue
        compared = _compare(record, result, tolerance, slack_ms, with_transcript="audio" in given)
        diffs.append(TurnDiff(record.turn, True, compared, note))
    return fresh, diffs

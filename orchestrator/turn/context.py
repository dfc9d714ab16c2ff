"""One running turn: its session state, its events, its clock and how far it has got.

Every event of a turn goes through ``TurnContext.emit``, which stamps it with
the session and turn, hands it to the tracer (redaction, sinks) and keeps the
redacted copy. The two events every turn may end with are built here, once:
``error`` and ``turn_ended``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import numpy as np

from orchestrator.events import AnyEvent, ErrorEvent, Event, InputKind, Stage, TurnEnded, TurnStarted
from orchestrator.llm.base import DialogTurn
from orchestrator.sessions.base import SessionState
from orchestrator.trace import Tracer

__all__ = ["AudioChunkCallback", "TurnContext", "emit_between_turns", "ms_since"]

# Called with each synthesized reply piece as soon as it exists: (index, float32 samples, sample rate).
AudioChunkCallback = Callable[[int, np.ndarray, int], Awaitable[None]]


def ms_since(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()``), to 0.1 ms."""
    return round((time.perf_counter() - start) * 1000.0, 1)


def emit_between_turns(tracer: Tracer, event: AnyEvent, session_id: str, turn: int) -> AnyEvent:
    """Stamp and trace a hands-free event that belongs to no running turn (``turn``: the one it leads to)."""
    return _trace(tracer, event, session_id, turn)


def _trace(tracer: Tracer, event: AnyEvent, session_id: str, turn: int) -> AnyEvent:
    return tracer.emit(event.model_copy(update={"session_id": session_id, "turn": turn}))


class TurnContext:
    """The state one turn carries from stage to stage (never shared between turns)."""

    def __init__(self, tracer: Tracer, state: SessionState) -> None:
        self.tracer = tracer
        self.state = state
        self.session_id = state.session_id
        self.turn = state.turns
        self.events: list[Event] = []
        self.timings: dict[str, float] = {}
        # The turn's clock: from its start, or from the end of a streamed input (the caller's last word).
        self.started = time.perf_counter()
        self.stage: Stage = "input"  # the stage running now: where an error or a cut happened
        self.user_text: str | None = None  # the caller's words (redacted), once known
        self.answer: DialogTurn | None = None  # the dialog's answer, once given

    @classmethod
    def begin(cls, tracer: Tracer, state: SessionState, input_kind: InputKind, backends: dict[str, str]) -> TurnContext:
        """Count the turn on the session and emit its ``turn_started``."""
        state.turns += 1
        ctx = cls(tracer, state)
        ctx.emit(TurnStarted(input_kind=input_kind, backends=backends))
        return ctx

    def emit(self, event: AnyEvent) -> AnyEvent:
        """Stamp, trace and keep one event; returns the redacted copy every sink saw."""
        clean = _trace(self.tracer, event, self.session_id, self.turn)
        self.events.append(clean)
        return clean

    def error(self, stage: Stage, category: str, message: str, retryable: bool, *, recovered: bool = False) -> None:
        """Emit an ``error``: the failure that ends the turn, or one the turn answered through."""
        self.emit(ErrorEvent(stage=stage, category=category, message=message, retryable=retryable,
                             recovered=recovered))

    def end(self, *, ok: bool, voice_to_voice_ms: float | None = None, cut: bool = False,
            called_off: bool = False) -> TurnEnded:
        """Emit the turn's ``turn_ended`` with its timings (a cut one names the stage it was in)."""
        self.timings["total"] = ms_since(self.started)
        return self.emit(TurnEnded(
            ok=ok, total_ms=self.timings["total"], timings_ms=dict(self.timings), voice_to_voice_ms=voice_to_voice_ms,
            cut=cut, reached=self.stage if cut else None, called_off=called_off,
        ))

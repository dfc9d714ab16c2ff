"""The fields every event carries; :mod:`orchestrator.events` holds the vocabulary built on them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EventBase"]


def _now() -> datetime:
    return datetime.now(UTC)


class EventBase(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Stamped by the turn's trace when emitted.
    session_id: str = ""
    turn: int = Field(default=0, ge=0)
    # Wall-clock time for humans and log filters; monotonic seconds for durations.
    wall_time: datetime = Field(default_factory=_now)
    mono_time: float = Field(default_factory=time.monotonic)

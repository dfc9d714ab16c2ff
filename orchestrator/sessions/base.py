"""The session model and the SessionStore protocol every store implements."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

__all__ = ["HistoryEntry", "SessionState", "SessionStore"]


def _now() -> datetime:
    return datetime.now(UTC)


class HistoryEntry(BaseModel):
    """One completed turn, as kept with the session (text already redacted)."""

    turn: int
    user: str
    bot: str
    intent: str
    input_kind: str
    # The caller's audio as the pipeline heard it (16 kHz mono WAV under VOICEBOT_HOME/audio), for replays.
    audio_file: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    state: str = ""
    figures: dict[str, str] = Field(default_factory=dict)
    # True when the caller cut the reply short (barge-in): ``bot`` is what the dialog had said by then.
    cut: bool = False


class ConsentQuestion(BaseModel):
    """The recording question, asked with the disclosure in ``turn``'s reply; only the next turn may answer it."""

    turn: int
    # The reply that asked had no question of its own, so a bare "yes" or "no" can only answer this one.
    bare_yes_no: bool = False


class SessionState(BaseModel):
    """Per-call state: the dialog's memory plus what has been said so far."""

    session_id: str
    turns: int = 0
    dialog: dict[str, Any] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)
    # The caller's answer to "may we keep recordings of your voice?" (None: not asked or not answered).
    voice_consent: bool | None = None
    # The recording question while it waits for its answer (orchestrator.turn.consent).
    consent_question: ConsentQuestion | None = None
    # The session's LoRA adapter: None follows the globally active one, "base" uses none
    # (see orchestrator.adapters.activation).
    adapter: str | None = None
    # Who may replay it from the browser: "user:NAME" (a login) or "browser:HASH" (a browser's
    # cookie, hashed); None for sessions made elsewhere (CLI, scenarios) or before owners existed.
    owner: str | None = None
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


@runtime_checkable
class SessionStore(Protocol):
    """Where session state lives between turns (and between processes)."""

    def load(self, session_id: str) -> SessionState | None:
        """The saved state, or None for an unknown session."""
        ...

    def save(self, state: SessionState) -> None:
        """Persist the state atomically."""
        ...

    def list_ids(self) -> list[str]:
        """Every stored session id, newest first."""
        ...

    def delete(self, session_id: str) -> bool:
        """Forget a session; True if it existed."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...

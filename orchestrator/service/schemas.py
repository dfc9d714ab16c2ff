"""The API's documented shapes. A turn's body is built by ``cli.turn.turn_payload``, the CLI's own ``--json``.

These models only describe (and check) what that function returns, so the
spec and ``voicebot turn --json`` cannot drift apart: a test compares the
two.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Health", "LLMInfo", "Ready", "TurnResponse", "TurnText"]

TURN_EXAMPLE: dict[str, Any] = {
    "session_id": "call-0042",
    "turn": 2,
    "transcript": None,
    "confidence": None,
    "user_text": "25,000 over 5 years at 6.5 percent",
    "reply": "Let me check: 25,000 dollars over 5 years at 6.5 percent. Is that right?",
    "intent": "loan_quote",
    "slots": {"principal": "25000", "term_months": 60, "annual_rate": "6.5"},
    "state": "confirm",
    "figures": {},
    "timings_ms": {"dialog": 3.1, "tts_first_audio": 48.0, "tts": 310.2, "total": 320.5},
    "voice_to_voice_ms": None,
    "audio_path": "/v1/sessions/call-0042/audio/2",
    "audio_s": 4.32,
    "backends": {"stt": "whisper-base", "tts": "piper", "llm": "rules"},
    "llm": {"source": "", "flagged_figures": [], "calls": [], "recovered_errors": []},
}


class TurnText(BaseModel):
    """A typed turn."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "what are your opening hours"}]})

    text: str = Field(min_length=1, max_length=100_000, description="What the caller types or said.")


class LLMInfo(BaseModel):
    """Which dialog wrote the answer and the LLM requests behind it."""

    source: str
    flagged_figures: list[str]
    calls: list[dict[str, Any]]
    recovered_errors: list[dict[str, Any]]


class TurnResponse(BaseModel):
    """One turn: what was heard, the reply, the dialog's understanding and per-stage milliseconds.

    The same object as ``voicebot turn --json``; ``audio_path`` is the URL of the reply's WAV.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [TURN_EXAMPLE]})

    session_id: str
    turn: int
    transcript: str | None
    confidence: float | None
    user_text: str
    reply: str
    intent: str
    slots: dict[str, Any]
    state: str
    figures: dict[str, str]
    timings_ms: dict[str, float]
    voice_to_voice_ms: float | None
    audio_path: str | None
    audio_s: float
    backends: dict[str, str]
    llm: LLMInfo


class Health(BaseModel):
    """The process answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Ready(BaseModel):
    """The models are loaded and turns can run."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"status": "ready", "backends": {"stt": "whisper-base", "tts": "piper", "llm": "rules"},
                      "turns": {"running": 2, "waiting": 5, "concurrency": 2, "max_waiting": 64}}]
    })

    status: str
    backends: dict[str, str]
    turns: dict[str, int] = Field(default_factory=dict, description="The turn queue: running, waiting and its bounds.")

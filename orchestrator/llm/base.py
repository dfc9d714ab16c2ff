"""The dialog contract: one method, ``reply``.

A dialog backend (deterministic rules, or later an LLM) gets the caller's
words and the session's dialog memory, and returns what to say plus what
it understood. It never touches audio, storage or events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from orchestrator.events import DialogSource
from orchestrator.registry import Registry

__all__ = ["DIALOG_BACKENDS", "DialogBackend", "DialogNote", "DialogTurn", "LLMCallRecord", "StreamingDialog"]


@dataclass(frozen=True, slots=True)
class DialogNote:
    """Something that went wrong inside the dialog step but did not cost the caller an answer."""

    category: str
    message: str
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class LLMCallRecord:
    """One request to the LLM server: which model, which round and try, how it ended, how long, how many tokens."""

    model: str
    round: int
    attempt: int
    ok: bool
    ms: float
    status: int | None = None
    category: str | None = None
    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tool_calls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DialogTurn:
    """One dialog step's output."""

    text: str
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    state: str = "start"
    memory: dict[str, Any] = field(default_factory=dict)
    # Figures quoted in ``text`` (payment, APR, total), as strings of Decimals.
    figures: dict[str, str] = field(default_factory=dict)
    # Who wrote ``text``: the backend itself (""), "llm", "rules" when an LLM fell back to it, or "cache".
    source: DialogSource = ""
    # One record per LLM request, for the events.
    llm_calls: tuple[LLMCallRecord, ...] = ()
    notes: tuple[DialogNote, ...] = ()
    # Figures an LLM said that nothing backed (the reply was replaced).
    flagged_figures: tuple[str, ...] = ()


@runtime_checkable
class DialogBackend(Protocol):
    """Answers one user utterance given the session's dialog memory."""

    name: str

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        """Blocking; must not mutate ``memory`` (return the new one)."""
        ...

    def fixed_phrases(self) -> list[str]:
        """Sentences this backend says verbatim, so their audio can be cached."""
        ...


@runtime_checkable
class StreamingDialog(Protocol):
    """A backend that can hand over its reply sentence by sentence while it is still writing it."""

    def reply_stream(
        self, user_text: str, memory: dict[str, Any], on_text: Callable[[str], None] | None, *, model: str | None = None
    ) -> DialogTurn:
        """Like ``reply``; calls ``on_text`` with each finished sentence, from the calling thread."""
        ...


DIALOG_BACKENDS: Registry[DialogBackend] = Registry("dialog", "VOICEBOT_LLM")

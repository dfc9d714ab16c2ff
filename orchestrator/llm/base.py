"""The dialog contract: one method, ``reply``.

A dialog backend (deterministic rules, or later an LLM) gets the caller's
words and the session's dialog memory, and returns what to say plus what
it understood. It never touches audio, storage or events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from orchestrator.registry import Registry

__all__ = ["DIALOG_BACKENDS", "DialogBackend", "DialogTurn"]


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


DIALOG_BACKENDS: Registry[DialogBackend] = Registry("dialog", "VOICEBOT_LLM")

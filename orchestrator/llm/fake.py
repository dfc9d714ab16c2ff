"""Scripted dialog backend: returns queued replies in order."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from orchestrator.config import Settings
from orchestrator.llm.base import DIALOG_BACKENDS, DialogTurn

__all__ = ["FakeDialog"]


class FakeDialog:
    """Replies with the scripted lines in order, repeating the last one."""

    name = "fake"

    def __init__(self, script: Iterable[str] = ("This is a scripted reply.",), intent: str = "scripted") -> None:
        self._script: deque[str] = deque(script)
        self._last = self._script[-1] if self._script else ""
        self._intent = intent
        self._lock = threading.Lock()
        self.heard: list[str] = []

    def enqueue(self, *replies: str) -> None:
        """Queue more replies."""
        with self._lock:
            self._script.extend(replies)

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        """Return the next scripted line; counts turns in memory."""
        with self._lock:
            self.heard.append(user_text)
            if self._script:
                self._last = self._script.popleft()
            text = self._last
        count = int(memory.get("fake_turns", 0)) + 1
        return DialogTurn(text=text, intent=self._intent, state="scripted", memory={**memory, "fake_turns": count})

    def fixed_phrases(self) -> list[str]:
        """No fixed phrases."""
        return []


@DIALOG_BACKENDS.register("fake")
def _create(settings: Settings) -> FakeDialog:
    return FakeDialog([t.strip() for t in settings.fake_replies.split("|")])

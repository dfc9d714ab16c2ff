"""What the dialog bridge needs from a chat-completions server, whoever serves it.

``ChatClient.stream`` sends one chat-completions request with tools and
yields :class:`ChatChunk` deltas. The vendor adapters (``mistral_client``,
``openai_client``) translate their SDK's chunks and exceptions into these
types once, so retries, fallback and the figure guard live in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.errors import BackendError

__all__ = [
    "ChatChunk",
    "ChatClient",
    "LLMError",
    "ToolCallDelta",
    "complete",
    "scrub",
]


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of one tool call; pieces with the same ``index`` concatenate."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class ChatChunk:
    """One streamed delta of a chat completion."""

    text: str = ""
    tool_calls: tuple[ToolCallDelta, ...] = ()
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class ChatClient(Protocol):
    """A chat-completions endpoint reached through one vendor SDK."""

    name: str

    def stream(self, *, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Iterator[ChatChunk]:
        """Send the request and yield its deltas; raise ``LLMError`` on any failure."""
        ...


class LLMError(BackendError):
    """A chat request failed: an HTTP status, a timeout, a dropped connection or a bad reply.

    ``category`` is ``llm_http_<status>``, ``llm_timeout``, ``llm_connection``
    or ``llm_bad_reply``; ``retryable`` follows the status.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        timeout: bool = False,
        connection: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, stage="dialog")
        self.status = status
        self.timeout = timeout
        self.retry_after_s = retry_after_s
        if status is not None:
            self.category = f"llm_http_{status}"
            # 408/429 and 5xx are the server's momentary trouble; other 4xx (auth above all) are ours.
            self.retryable = status in (408, 429) or status >= 500
        elif timeout:
            self.category, self.retryable = "llm_timeout", True
        elif connection:
            self.category, self.retryable = "llm_connection", True
        else:
            self.category, self.retryable = "llm_bad_reply", False


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every secret replaced, so a key echoed in an error body never reaches a log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED_KEY]")
    return text


def complete(client: ChatClient, model: str, messages: list[dict[str, Any]]) -> str:
    """One whole text answer without tools (the scenario judge and the simulated caller); raises ``LLMError``."""
    text = "".join(chunk.text for chunk in client.stream(model=model, messages=messages, tools=[])).strip()
    if not text:
        raise LLMError("the LLM sent an empty reply")
    return text

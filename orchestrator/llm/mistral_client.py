"""Mistral's chat API through the official ``mistralai`` SDK.

The SDK's own retries are off: the bridge retries, so every attempt is an
event and auth errors are never repeated. The key is handed to the SDK and
nowhere else; error text is scrubbed of it before it leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
from mistralai.client import Mistral
from mistralai.client.errors import MistralError, NoResponseError

from orchestrator.llm.chat import ChatChunk, LLMError, ToolCallDelta, scrub

__all__ = ["MistralChat"]


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _text(content: Any) -> str:
    """A delta's content: a string, or a list of typed chunks of which only text is spoken."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        return "".join(getattr(part, "text", "") or "" for part in content)
    return ""


def _arguments(value: Any) -> str:
    """Mistral sends tool arguments as a JSON string or an already-parsed object."""
    return value if isinstance(value, str) else json.dumps(value)


class MistralChat:
    """``ChatClient`` over ``mistralai.client.Mistral``."""

    name = "mistral"

    def __init__(
        self,
        api_key: str,
        *,
        server_url: str | None = None,
        timeout_s: float = 10.0,
        temperature: float = 0.2,
        max_tokens: int = 400,
    ) -> None:
        self._key = api_key
        self._timeout_ms = int(timeout_s * 1000)
        self._temperature = temperature
        self._max_tokens = max_tokens
        kwargs: dict[str, Any] = {"api_key": api_key, "timeout_ms": self._timeout_ms}
        if server_url:
            kwargs["server_url"] = server_url
        self._client = Mistral(**kwargs)

    def stream(self, *, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Iterator[ChatChunk]:
        """Stream one completion; vendor errors become ``LLMError``."""
        try:
            # A request without tools (the judge, the simulated caller) sends none rather than an empty list.
            with_tools: dict[str, Any] = {"tools": tools, "tool_choice": "auto"} if tools else {}
            events = self._client.chat.stream(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self._temperature,
                max_tokens=self._max_tokens,
                retries=None,
                **with_tools,
            )
            with events:
                for event in events:
                    yield self._chunk(event.data)
        except MistralError as exc:
            raise LLMError(
                scrub(f"Mistral API returned HTTP {exc.status_code}: {exc.body[:200]}", self._key),
                status=exc.status_code,
                retry_after_s=_retry_after(exc.headers),
            ) from None
        except httpx2.TimeoutException:
            raise LLMError(f"Mistral API did not answer within {self._timeout_ms} ms", timeout=True) from None
        except (httpx2.TransportError, NoResponseError) as exc:
            raise LLMError(scrub(f"cannot reach the Mistral API: {exc}", self._key), connection=True) from None
        except (ValueError, TypeError) as exc:  # a reply the SDK's models reject
            raise LLMError(scrub(f"Mistral API sent a reply that is not a chat completion: {exc}", self._key)) from None

    @staticmethod
    def _chunk(data: Any) -> ChatChunk:
        usage = getattr(data, "usage", None)
        choice = data.choices[0] if data.choices else None
        delta = choice.delta if choice is not None else None
        calls = []
        tool_calls = getattr(delta, "tool_calls", None)
        for position, call in enumerate(tool_calls if isinstance(tool_calls, list) else ()):
            index = call.index if isinstance(call.index, int) else position
            call_id = call.id if call.id and call.id != "null" else None
            calls.append(ToolCallDelta(index, call_id, call.function.name, _arguments(call.function.arguments)))
        finish = choice.finish_reason if choice is not None else None
        return ChatChunk(
            text=_text(getattr(delta, "content", None)),
            tool_calls=tuple(calls),
            finish_reason=str(finish) if finish else None,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

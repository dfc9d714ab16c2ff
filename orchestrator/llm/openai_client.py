"""Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server) through the ``openai`` SDK.

Self-hosted servers often need no key; the SDK insists on one, so an
absent ``OPENAI_API_KEY`` is sent as a fixed placeholder that is not a
secret. The SDK's retries are off: the bridge retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai

from orchestrator.llm.chat import ChatChunk, LLMError, ToolCallDelta, scrub

__all__ = ["NO_KEY", "OpenAIChat"]

# Sent when no key is configured; servers without auth ignore it.
NO_KEY = "no-key"


def _retry_after(response: Any) -> float | None:
    try:
        value = response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


class OpenAIChat:
    """``ChatClient`` over ``openai.OpenAI`` pointed at ``base_url``."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        temperature: float = 0.2,
        max_tokens: int = 400,
    ) -> None:
        self._key = api_key
        self._timeout_s = timeout_s
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._client = openai.OpenAI(
            api_key=api_key or NO_KEY, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def stream(self, *, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Iterator[ChatChunk]:
        """Stream one completion; vendor errors become ``LLMError``."""
        try:
            # Plain dicts are the wire format; the SDK's TypedDict overloads cannot see that.
            # A request without tools (the judge, the simulated caller) sends none rather than an empty list.
            with_tools: dict[str, Any] = {"tools": tools, "tool_choice": "auto"} if tools else {}
            chunks = self._client.chat.completions.create(  # type: ignore[call-overload]
                model=model,
                messages=messages,
                **with_tools,
                temperature=self._temperature,
                max_tokens=self._max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )
            with chunks:
                for chunk in chunks:
                    yield self._chunk(chunk)
        except openai.APIStatusError as exc:
            body = scrub(str(getattr(exc, "body", "") or exc.message), self._key)[:200]
            raise LLMError(
                f"OpenAI-compatible server returned HTTP {exc.status_code}: {body}",
                status=exc.status_code,
                retry_after_s=_retry_after(exc.response),
            ) from None
        except openai.APITimeoutError:
            message = f"OpenAI-compatible server did not answer within {self._timeout_s:g} s"
            raise LLMError(message, timeout=True) from None
        except openai.APIConnectionError as exc:
            message = scrub(f"cannot reach the OpenAI-compatible server: {exc}", self._key)
            raise LLMError(message, connection=True) from None
        except (openai.OpenAIError, ValueError, TypeError) as exc:
            raise LLMError(scrub(f"OpenAI-compatible server sent an unusable reply: {exc}", self._key)) from None

    @staticmethod
    def _chunk(chunk: Any) -> ChatChunk:
        usage = getattr(chunk, "usage", None)
        choice = chunk.choices[0] if chunk.choices else None
        delta = choice.delta if choice is not None else None
        calls = tuple(
            ToolCallDelta(
                call.index,
                call.id,
                call.function.name if call.function else None,
                (call.function.arguments or "") if call.function else "",
            )
            for call in (getattr(delta, "tool_calls", None) or ())
        )
        return ChatChunk(
            text=(getattr(delta, "content", None) or ""),
            tool_calls=calls,
            finish_reason=choice.finish_reason if choice is not None else None,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

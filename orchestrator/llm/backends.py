"""``VOICEBOT_LLM=mistral`` and ``VOICEBOT_LLM=openai``: factories that check their settings at start-up.

A missing key or URL raises ``ConfigError`` naming the variable to set, so
the app and the CLI stop before the first call rather than on it.
"""

from __future__ import annotations

import os

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.llm.base import DIALOG_BACKENDS, DialogBackend
from orchestrator.llm.bridge import LLMDialog, LLMOptions

__all__ = ["llm_options"]


def _key(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def llm_options(settings: Settings, model: str) -> LLMOptions:
    """The retry and history knobs of ``settings`` for ``model``."""
    return LLMOptions(
        model=model,
        retries=settings.llm_retries,
        backoff_s=settings.llm_backoff_s,
        deadline_s=settings.llm_deadline_s,
        history_turns=settings.llm_history_turns,
    )


def _fallback(settings: Settings) -> DialogBackend:
    """The ``rules`` dialog, built by its own factory, to stand behind the LLM."""
    return DIALOG_BACKENDS.create("rules", settings)


@DIALOG_BACKENDS.register("mistral")
def _mistral(settings: Settings) -> LLMDialog:
    from orchestrator.llm.mistral_client import MistralChat

    key = _key("MISTRAL_API_KEY")
    if key is None:
        raise ConfigError("VOICEBOT_LLM=mistral needs an API key: set MISTRAL_API_KEY")
    client = MistralChat(
        key,
        server_url=settings.mistral_url,
        timeout_s=settings.llm_timeout_s,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
    )
    return LLMDialog(client, _fallback(settings), llm_options(settings, settings.mistral_model))


@DIALOG_BACKENDS.register("openai")
def _openai(settings: Settings) -> LLMDialog:
    from orchestrator.llm.openai_client import OpenAIChat

    if not settings.openai_url:
        raise ConfigError(
            "VOICEBOT_LLM=openai needs the server's URL: set VOICEBOT_OPENAI_URL (e.g. http://localhost:8000/v1)"
        )
    if not settings.openai_model:
        raise ConfigError("VOICEBOT_LLM=openai needs a model name: set VOICEBOT_OPENAI_MODEL")
    client = OpenAIChat(
        settings.openai_url,
        api_key=_key("OPENAI_API_KEY"),
        timeout_s=settings.llm_timeout_s,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
    )
    return LLMDialog(client, _fallback(settings), llm_options(settings, settings.openai_model))

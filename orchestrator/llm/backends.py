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
from orchestrator.llm.chat import ChatClient

__all__ = ["LLM_BACKENDS", "chat_client", "llm_options"]

# The dialog backends that are an LLM (the others, rules and fake, are not).
LLM_BACKENDS = ("mistral", "openai")


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


def chat_client(settings: Settings) -> tuple[ChatClient, str]:
    """The configured LLM (``VOICEBOT_LLM=mistral`` or ``openai``) as a chat client, and its model name.

    The scenario judge and the LLM caller use it as the dialog does. Raises
    ``ConfigError`` naming what to set when it cannot be built.
    """
    if settings.llm == "mistral":
        from orchestrator.llm.mistral_client import MistralChat

        key = _key("MISTRAL_API_KEY")
        if key is None:
            raise ConfigError("VOICEBOT_LLM=mistral needs an API key: set MISTRAL_API_KEY")
        mistral = MistralChat(
            key,
            server_url=settings.mistral_url,
            timeout_s=settings.llm_timeout_s,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
        )
        return mistral, settings.mistral_model
    if settings.llm == "openai":
        from orchestrator.llm.openai_client import OpenAIChat

        if not settings.openai_url:
            raise ConfigError(
                "VOICEBOT_LLM=openai needs the server's URL: set VOICEBOT_OPENAI_URL (e.g. http://localhost:8000/v1)"
            )
        if not settings.openai_model:
            raise ConfigError("VOICEBOT_LLM=openai needs a model name: set VOICEBOT_OPENAI_MODEL")
        server = OpenAIChat(
            settings.openai_url,
            api_key=_key("OPENAI_API_KEY"),
            timeout_s=settings.llm_timeout_s,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
        )
        return server, settings.openai_model
    raise ConfigError(f"VOICEBOT_LLM={settings.llm} is not an LLM backend: set it to one of {', '.join(LLM_BACKENDS)}")


@DIALOG_BACKENDS.register("mistral")
def _mistral(settings: Settings) -> LLMDialog:
    client, model = chat_client(settings)
    return LLMDialog(client, _fallback(settings), llm_options(settings, model))


@DIALOG_BACKENDS.register("openai")
def _openai(settings: Settings) -> LLMDialog:
    client, model = chat_client(settings)
    return LLMDialog(client, _fallback(settings), llm_options(settings, model))

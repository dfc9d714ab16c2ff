"""Dialog backends, chosen by name with ``VOICEBOT_LLM``."""

from orchestrator.dialog import rules  # noqa: F401  (registers "rules")
from orchestrator.llm import (
    backends,  # noqa: F401  (registers "mistral" and "openai")
    fake,  # noqa: F401  (registers "fake")
)
from orchestrator.llm.base import DIALOG_BACKENDS, DialogBackend, DialogTurn

__all__ = ["DIALOG_BACKENDS", "DialogBackend", "DialogTurn"]

"""The browser's adapter picker: which LoRA adapter a tester's session classifies with.

The Chainlit handlers render :func:`adapter_picker` as a ``Select`` in the
chat settings and pass the chosen value to :func:`apply_adapter_choice`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orchestrator.adapters.activation import global_adapter, session_choice
from orchestrator.adapters.names import BASE
from orchestrator.adapters.store import find_adapter, list_adapters
from orchestrator.errors import VoicebotError
from orchestrator.pipeline import Pipeline

__all__ = ["FOLLOW_GLOBAL", "PICKER_ID", "AdapterPicker", "adapter_picker", "apply_adapter_choice"]

PICKER_ID = "adapter"
# Not a valid adapter name (it has a space), so it can never clash with one.
FOLLOW_GLOBAL = "global default"


@dataclass(frozen=True, slots=True)
class AdapterPicker:
    """What the settings panel shows: the choices and the session's current one."""

    values: list[str]
    initial: str
    description: str


def adapter_picker(pipeline: Pipeline, current: str | None = None) -> AdapterPicker:
    """The choices: follow the global setting, ``base`` (no adapter), then every readable adapter."""
    names = [a.name for a in list_adapters(pipeline.settings)[0]]
    try:
        active = global_adapter(pipeline.settings)
    except VoicebotError:
        active = None
    values = [FOLLOW_GLOBAL, BASE, *names]
    initial = current if current in values else FOLLOW_GLOBAL
    return AdapterPicker(
        values=values,
        initial=initial,
        description=f"Intent adapter for this chat; '{FOLLOW_GLOBAL}' uses {active or 'the base model'} now.",
    )


async def apply_adapter_choice(pipeline: Pipeline, session_id: str, value: object) -> str:
    """Store the session's choice from its next turn; returns the line to show the tester.

    Raises ``VoicebotError`` (``InvalidAdapterNameError``, ``AdapterNotFoundError``)
    for a value that is not one of the picker's choices.
    """
    choice = None if value in (None, FOLLOW_GLOBAL) else session_choice(str(value))
    if choice not in (None, BASE):
        await asyncio.to_thread(find_adapter, pipeline.settings, choice)
    await pipeline.set_adapter(session_id, choice)
    if choice is None:
        return "This chat now follows the globally active adapter."
    if choice == BASE:
        return "This chat now uses the base intent classifier (no adapter)."
    return f"This chat now classifies intents with adapter {choice}."

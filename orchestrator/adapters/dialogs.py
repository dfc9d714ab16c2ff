"""The dialog that serves one turn, given the adapter chosen for its session.

The rules dialog gets the adapter's intent classifier instead of its own.
An LLM backend is returned as it is, with the adapter's served model to request.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.adapters.classifier import load_adapter_classifier
from orchestrator.adapters.store import find_adapter
from orchestrator.config import Settings
from orchestrator.llm.base import DialogBackend

__all__ = ["AdaptedDialog", "adapted_dialog"]


@dataclass(frozen=True, slots=True)
class AdaptedDialog:
    """What serves one turn: the dialog, its adapter, and the model an LLM backend should request."""

    dialog: DialogBackend
    adapter: str | None = None
    model: str | None = None  # the adapter's served LoRA or fine-tuned model id (None: the backend's own)


def adapted_dialog(dialog: DialogBackend, settings: Settings, adapter: str | None) -> AdaptedDialog:
    """The dialog to run this turn with ``adapter`` (already resolved by ``resolve_adapter``; None: none).

    Blocking: the first turn with an adapter loads it (about 1-2 s). Raises
    ``AdapterNotFoundError`` or ``AdapterLoadError`` when the adapter is gone
    or broken, so the turn fails with a clear error instead of silently
    using the base model.
    """
    from orchestrator.dialog.rules import RulesDialog  # here: rules -> llm -> rules at import time

    if adapter is None:
        return AdaptedDialog(dialog)
    if not isinstance(dialog, RulesDialog):
        return AdaptedDialog(dialog, adapter, find_adapter(settings, adapter).info.served_model)
    # A RulesDialog only holds its classifier (all state is in the memory it is given): cheap per turn.
    return AdaptedDialog(RulesDialog(load_adapter_classifier(settings, adapter)), adapter)


def adapter_problem(dialog: DialogBackend, settings: Settings, name: str) -> str | None:
    """Why ``dialog`` cannot run with adapter ``name`` (None when it can).

    The rules dialog takes any adapter (its intent classifier); an LLM
    backend needs the adapter's ``served_model``. A dialog built around one
    adapter (an ``adapter`` attribute) takes only that one.
    """
    from orchestrator.dialog.rules import RulesDialog
    from orchestrator.errors import VoicebotError

    fixed = getattr(dialog, "adapter", None)
    if fixed is not None:
        return None if fixed == name else f"the {dialog.name!r} dialog has {fixed}"
    try:
        adapter = find_adapter(settings, name)
    except VoicebotError as exc:
        return exc.message
    if isinstance(dialog, RulesDialog) or adapter.info.served_model:
        return None
    return f"the {dialog.name!r} dialog has no intent classifier and adapter {name!r} maps to no served model"

"""The dialog that serves one turn, given the adapter chosen for its session.

The rules dialog gets the adapter's intent classifier instead of its own.
An LLM backend is returned as it is: it asks :func:`served_model_for` which
model to request.
"""

from __future__ import annotations

from orchestrator.adapters.activation import resolve_adapter
from orchestrator.adapters.classifier import load_adapter_classifier
from orchestrator.adapters.store import find_adapter
from orchestrator.config import Settings
from orchestrator.llm.base import DialogBackend

__all__ = ["adapted_dialog"]


def adapted_dialog(
    dialog: DialogBackend, settings: Settings, session_adapter: str | None
) -> tuple[DialogBackend, str | None]:
    """(the dialog to run this turn, the adapter serving it or None).

    Blocking: the first turn with an adapter loads it (about 1-2 s). Raises
    ``AdapterNotFoundError`` or ``AdapterLoadError`` when the chosen adapter
    is gone or broken, so the turn fails with a clear error instead of
    silently using the base model.
    """
    from orchestrator.dialog.rules import RulesDialog  # here: rules -> llm -> rules at import time

    name = resolve_adapter(settings, session_adapter)
    if name is None:
        return dialog, None
    if not isinstance(dialog, RulesDialog):
        find_adapter(settings, name)  # the LLM side reads served_model_for(); the adapter must exist
        return dialog, name
    # A RulesDialog only holds its classifier (all state is in the memory it is given): cheap per turn.
    return RulesDialog(load_adapter_classifier(settings, name)), name


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

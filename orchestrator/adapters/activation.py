"""Which adapter serves a turn: the session's choice, else the globally active one.

* Globally: ``VOICEBOT_HOME/adapters/active.json`` names the active adapter
  (written atomically; absent means none). Every session that has made no
  choice of its own follows it, from its next turn on.
* Per session: ``SessionState.adapter`` holds the session's choice: ``None``
  follows the global one, :data:`~orchestrator.adapters.names.BASE` means no
  adapter whatever is active, any other value names an adapter.

This module only reads metadata: it never loads a model.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.adapters.errors import AdapterLoadError, InvalidAdapterNameError
from orchestrator.adapters.names import BASE, validate_adapter_name
from orchestrator.adapters.store import StoredAdapter, adapters_dir, find_adapter
from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_text

__all__ = [
    "ACTIVE_FILE",
    "activate",
    "active_file",
    "deactivate",
    "global_adapter",
    "resolve_adapter",
    "served_model_for",
    "session_choice",
]

ACTIVE_FILE = "active.json"


def active_file(settings: Settings) -> Path:
    """The file naming the globally active adapter."""
    return adapters_dir(settings) / ACTIVE_FILE


def global_adapter(settings: Settings) -> str | None:
    """The globally active adapter's name, or None; raises ``AdapterLoadError`` for a damaged file."""
    path = active_file(settings)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AdapterLoadError(f"{path} is unreadable ({exc}): run 'voicebot adapter-control deactivate'") from None
    name = raw.get("adapter") if isinstance(raw, dict) else None
    if name is None:
        return None
    try:
        return validate_adapter_name(name)
    except InvalidAdapterNameError as exc:  # the file is at fault, not the caller's input
        raise AdapterLoadError(f"{path}: {exc.message}: run 'voicebot adapter-control deactivate'") from None


def activate(settings: Settings, name: str) -> StoredAdapter:
    """Make ``name`` the globally active adapter (it must exist); returns it."""
    adapter = find_adapter(settings, name)
    stamp = datetime.now(UTC).isoformat()
    atomic_write_text(active_file(settings), json.dumps({"adapter": adapter.name, "activated_at": stamp}) + "\n")
    return adapter


def deactivate(settings: Settings) -> str | None:
    """Make no adapter globally active; returns the one that was (None if none was)."""
    path = active_file(settings)
    try:
        previous = global_adapter(settings)
    except AdapterLoadError:
        previous = None
    path.unlink(missing_ok=True)
    return previous


def session_choice(name: str | None) -> str | None:
    """A validated value for ``SessionState.adapter``: None (follow global), ``base`` or an adapter name."""
    if name is None or name == BASE:
        return name
    return validate_adapter_name(name)


def resolve_adapter(settings: Settings, session_adapter: str | None) -> str | None:
    """The adapter that serves a session's next turn (None: the base model).

    ``session_adapter`` is the session's ``SessionState.adapter``. The name is
    not checked against the disk here; loading it does that.
    """
    choice = session_adapter if session_adapter is not None else global_adapter(settings)
    return None if choice in (None, BASE) else choice


def served_model_for(settings: Settings, session_adapter: str | None) -> str | None:
    """The LLM model an LLM backend should request for this session, or None for its default.

    It is the resolved adapter's ``served_model``: a vLLM ``--lora-modules``
    name or a fine-tuned Mistral model id. Raises ``AdapterNotFoundError``
    when the resolved adapter no longer exists.
    """
    name = resolve_adapter(settings, session_adapter)
    if name is None:
        return None
    return find_adapter(settings, name).info.served_model

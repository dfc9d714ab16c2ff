"""LoRA adapters for the intent classifier: train, store, evaluate, activate, serve.

An adapter is MiniLM with LoRA matrices and an intent head
(:mod:`~orchestrator.adapters.model`), trained on a ``text,label`` CSV
(:mod:`~orchestrator.adapters.train`), saved atomically under
``VOICEBOT_HOME/adapters/NAME`` with its metadata
(:mod:`~orchestrator.adapters.store`), and switched on globally or per
session (:mod:`~orchestrator.adapters.activation`). The rules dialog then
classifies with it (:mod:`~orchestrator.adapters.dialogs`); an LLM backend
asks :func:`served_model_for` which served LoRA or fine-tuned model to request.

Importing this package loads no model (torch is imported on first use).
"""

from orchestrator.adapters.activation import (
    activate,
    deactivate,
    global_adapter,
    resolve_adapter,
    served_model_for,
    session_choice,
)
from orchestrator.adapters.errors import (
    AdapterExistsError,
    AdapterLoadError,
    AdapterNotFoundError,
    InvalidAdapterNameError,
    TrainingDataError,
)
from orchestrator.adapters.names import BASE, validate_adapter_name
from orchestrator.adapters.store import AdapterInfo, StoredAdapter, find_adapter, list_adapters

__all__ = [
    "BASE",
    "AdapterExistsError",
    "AdapterInfo",
    "AdapterLoadError",
    "AdapterNotFoundError",
    "InvalidAdapterNameError",
    "StoredAdapter",
    "TrainingDataError",
    "activate",
    "deactivate",
    "find_adapter",
    "global_adapter",
    "list_adapters",
    "resolve_adapter",
    "served_model_for",
    "session_choice",
    "validate_adapter_name",
]

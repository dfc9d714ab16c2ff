"""Adapter errors, placed in the workbench's one error tree::

    ConfigError
    ├── AdapterNotFoundError     no adapter (stored or shipped) has that name   (CLI exit 2)
    └── AdapterLoadError         its files are missing, corrupt or for another base model
    InputError
    ├── InvalidAdapterNameError  a name that fails the adapter-name pattern      (CLI exit 2)
    ├── AdapterExistsError       training would overwrite an adapter
    └── TrainingDataError        a training or evaluation CSV that cannot be used
"""

from __future__ import annotations

from orchestrator.errors import ConfigError, InputError

__all__ = [
    "AdapterExistsError",
    "AdapterLoadError",
    "AdapterNotFoundError",
    "InvalidAdapterNameError",
    "TrainingDataError",
]


class AdapterNotFoundError(ConfigError):
    """No stored or shipped adapter has this (well-formed) name."""

    category = "adapter_not_found"


class AdapterLoadError(ConfigError):
    """An adapter whose files cannot be loaded."""

    category = "adapter_unavailable"


class InvalidAdapterNameError(InputError):
    """A name that could escape the adapters folder or is reserved."""

    category = "invalid_adapter_name"


class AdapterExistsError(InputError):
    """Training would replace an existing adapter (or shadow a shipped one)."""

    category = "adapter_exists"


class TrainingDataError(InputError):
    """A labelled CSV that cannot be trained or evaluated on; the message names the file and the fault."""

    category = "training_data"

"""Adapter names: the only way a name may reach a folder name.

A name is 1-48 characters of lower-case letters, digits, ``_`` and ``-``,
starting with a letter or digit (``banking-v1``). ``base`` and ``none`` are
reserved: they mean "no adapter". Anything else (``../x``, ``/``, NUL,
capitals, unicode look-alikes) is rejected before it touches a path.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.adapters.errors import InvalidAdapterNameError

__all__ = ["ADAPTER_NAME_PATTERN", "BASE", "RESERVED_NAMES", "adapter_path", "validate_adapter_name"]

ADAPTER_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
# A session set to BASE uses no adapter, whatever is active globally.
BASE = "base"
RESERVED_NAMES = frozenset({BASE, "none"})


def validate_adapter_name(name: object) -> str:
    """Return ``name`` unchanged if it is a well-formed, unreserved adapter name, else raise."""
    if not isinstance(name, str) or not ADAPTER_NAME_PATTERN.fullmatch(name):
        shown = repr(name)[:80]
        raise InvalidAdapterNameError(
            f"invalid adapter name {shown}: use 1-48 lower-case letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise InvalidAdapterNameError(f"adapter name {name!r} is reserved (it means 'no adapter')")
    return name


def adapter_path(directory: Path, name: str) -> Path:
    """The folder of adapter ``name`` inside ``directory``; the name is validated first."""
    valid = validate_adapter_name(name)
    path = (directory / valid).resolve()
    if path.parent != directory.resolve():
        raise InvalidAdapterNameError(f"adapter name {valid!r} escapes {directory}")
    return path

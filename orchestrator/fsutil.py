"""Atomic file writes (a temporary file in the same directory, then ``os.replace``) and readers of user files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "read_json", "read_text_lines"]


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """UTF-8 text version of ``atomic_write_bytes``."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def read_text_lines(path: Path, what: str = "") -> list[str]:
    """The lines of a UTF-8 text file the user named; ``InputError`` says why it cannot be read."""
    name = f"{what} {path}" if what else str(path)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None


def read_json(path: Path, error: type[InputError] = InputError, *, missing: str = "file", kind: str = "file") -> Any:
    """A JSON file the user named; ``error`` says "no such {missing}" or "not a JSON {kind}" when it cannot be used."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {missing}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not a JSON {kind} ({exc})") from None

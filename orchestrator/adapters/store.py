"""Where adapters live: ``VOICEBOT_HOME/adapters/NAME/`` plus the ones shipped with the package.

Each adapter folder holds the model files (see :mod:`orchestrator.adapters.model`)
and ``adapter.json`` (:class:`AdapterInfo`). A new adapter is written into a
hidden temporary folder beside the others and renamed into place, so a
reader sees a whole adapter or none. Shipped adapters
(``orchestrator/adapters/shipped/NAME/``) are read-only: a stored adapter
may not take a shipped one's name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.adapters.errors import AdapterExistsError, AdapterLoadError, AdapterNotFoundError
from orchestrator.adapters.names import ADAPTER_NAME_PATTERN, adapter_path, validate_adapter_name
from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_text

__all__ = [
    "INFO_FILE",
    "SHIPPED_DIR",
    "AdapterInfo",
    "DataInfo",
    "StoredAdapter",
    "adapters_dir",
    "check_name_free",
    "find_adapter",
    "list_adapters",
    "save_adapter",
    "set_served_model",
]

INFO_FILE = "adapter.json"
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


def _now() -> datetime:
    return datetime.now(UTC)


class DataInfo(BaseModel):
    """The training file an adapter was trained on."""

    file: str  # the file's name only: paths are machine-specific
    sha256: str
    rows: int
    per_label: dict[str, int] = Field(default_factory=dict)


class AdapterInfo(BaseModel):
    """An adapter's metadata (``adapter.json``)."""

    model_config = ConfigDict(extra="ignore")

    format: int = 1
    name: str
    kind: Literal["intent-classifier"] = "intent-classifier"
    base_model: dict[str, str]
    labels: list[str] = Field(min_length=2)
    data: DataInfo
    metrics: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=_now)
    # The LLM-side twin: a vLLM ``--lora-modules`` name or a fine-tuned Mistral model id.
    served_model: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class StoredAdapter:
    """An adapter found on disk: its metadata, folder and origin."""

    info: AdapterInfo
    path: Path
    source: Literal["home", "shipped"]

    @property
    def name(self) -> str:
        """The adapter's name (its folder's name)."""
        return self.info.name

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the metadata plus where it lives."""
        return {**self.info.model_dump(mode="json"), "source": self.source, "path": str(self.path)}


def adapters_dir(settings: Settings) -> Path:
    """``VOICEBOT_HOME/adapters``: trained adapters and the active-adapter file."""
    return settings.home / "adapters"


def _read(path: Path, source: Literal["home", "shipped"]) -> StoredAdapter:
    try:
        raw = json.loads((path / INFO_FILE).read_text(encoding="utf-8"))
        info = AdapterInfo.model_validate(raw)
    except FileNotFoundError:
        raise AdapterLoadError(f"adapter {path.name!r} has no {INFO_FILE}") from None
    except (OSError, ValueError, ValidationError) as exc:
        raise AdapterLoadError(f"adapter {path.name!r}: unreadable {INFO_FILE} ({exc})") from None
    if info.name != path.name:
        raise AdapterLoadError(f"adapter folder {path.name!r} holds metadata for {info.name!r}")
    return StoredAdapter(info, path, source)


def _candidates(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and ADAPTER_NAME_PATTERN.fullmatch(p.name))


def list_adapters(settings: Settings) -> tuple[list[StoredAdapter], list[str]]:
    """Every readable adapter (stored ones first, then shipped, each by name) and one line per broken one."""
    found: list[StoredAdapter] = []
    broken: list[str] = []
    for directory, source in ((adapters_dir(settings), "home"), (SHIPPED_DIR, "shipped")):
        for path in _candidates(directory):
            try:
                found.append(_read(path, source))  # type: ignore[arg-type]
            except AdapterLoadError as exc:
                broken.append(exc.message)
    return found, broken


def find_adapter(settings: Settings, name: str) -> StoredAdapter:
    """The adapter called ``name`` (stored first, then shipped).

    Raises ``InvalidAdapterNameError`` for a malformed name, ``AdapterNotFoundError``
    (listing the known names) for an unknown one and ``AdapterLoadError`` for a broken one.
    """
    for directory, source in ((adapters_dir(settings), "home"), (SHIPPED_DIR, "shipped")):
        path = adapter_path(directory, name)
        if path.is_dir():
            return _read(path, source)  # type: ignore[arg-type]
    known = sorted({a.name for a in list_adapters(settings)[0]})
    hint = f"known: {', '.join(known)}" if known else "none yet: train one with 'voicebot adapter-control train'"
    raise AdapterNotFoundError(f"no adapter named {name!r} ({hint})")


def check_name_free(settings: Settings, name: str, *, force: bool = False) -> None:
    """Raise unless a new adapter may be saved as ``name`` (``force`` replaces a stored one, never a shipped one)."""
    if adapter_path(SHIPPED_DIR, name).is_dir():
        raise AdapterExistsError(f"{name!r} is a shipped adapter; choose another name")
    if adapter_path(adapters_dir(settings), name).exists() and not force:
        raise AdapterExistsError(f"adapter {name!r} already exists; pass --force to replace it")


def save_adapter(
    settings: Settings,
    name: str,
    write: Callable[[Path], AdapterInfo],
    *,
    force: bool = False,
    root: Path | None = None,
) -> StoredAdapter:
    """Create adapter ``name``: ``write(folder)`` fills a temporary folder and returns the metadata.

    The folder is renamed into place only when complete; ``root`` overrides
    ``VOICEBOT_HOME/adapters`` (e.g. the shipped folder, when refreshing it).
    """
    validate_adapter_name(name)
    directory = root or adapters_dir(settings)
    if root is None:
        check_name_free(settings, name, force=force)
    directory.mkdir(parents=True, exist_ok=True)
    final = adapter_path(directory, name)
    tmp = Path(tempfile.mkdtemp(dir=directory, prefix=f".{name}.", suffix=".tmp"))
    tmp.chmod(0o755)  # mkdtemp makes it private; an adapter is readable like any model file
    old: Path | None = None
    try:
        info = write(tmp).model_copy(update={"name": name})
        atomic_write_text(tmp / INFO_FILE, info.model_dump_json(indent=2) + "\n")
        if final.exists():
            if not force and root is None:
                raise AdapterExistsError(f"adapter {name!r} appeared while training; pass --force to replace it")
            old = final.with_name(f".{name}.{os.getpid()}.old")
            os.replace(final, old)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return StoredAdapter(info, final, "shipped" if directory == SHIPPED_DIR else "home")


def set_served_model(settings: Settings, name: str, served_model: str | None) -> StoredAdapter:
    """Map a stored adapter to an LLM-side model (vLLM LoRA name or Mistral model id), or clear it."""
    adapter = find_adapter(settings, name)
    if adapter.source == "shipped":
        raise AdapterExistsError(f"{name!r} is a shipped adapter and read-only; train a copy under another name")
    info = adapter.info.model_copy(update={"served_model": served_model or None})
    atomic_write_text(adapter.path / INFO_FILE, info.model_dump_json(indent=2) + "\n")
    return StoredAdapter(info, adapter.path, adapter.source)

"""What made a cached answer: the version every entry records, and a lookup must match.

An answer depends on the bank's FAQ, the dialog's fixed phrases and the
code that builds its templated sentences, the dialog backend and its model,
the LoRA adapter, and the workbench itself. ``maker`` names each of them as
a short hash (or a name); ``MakerVersion.id`` hashes them all. An entry made
under another version is never served: the FAQ's opening hours changed,
the rules dialog's templates were edited, the LLM was swapped, the adapter
was retrained under the same name, or the package was upgraded, and the
next caller hears today's answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator.config import Settings

__all__ = ["MakerVersion", "faq_digest", "maker", "sources_digest"]

_PACKAGE = "voicebot-workbench"
_ROOT = Path(__file__).resolve().parent.parent
# The code that writes a reply's words: the rules dialog builds its sentences in code (templates), the
# LLM bridge adds its prompt, tools and guard. A change to any of these files is a new version.
_RULES_SOURCES = ("dialog",)
_LLM_SOURCES = ("dialog", "llm")


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def faq_digest() -> str:
    """A hash of the bank's FAQ as the dialog answers it now: ids, answers and patterns."""
    from orchestrator.dialog import faq  # the module's table as it is now, not a copy taken at import

    return _digest([[f.id, f.answer, [(p.pattern, p.flags) for p in f.patterns]] for f in faq.FAQS])


def sources_digest(packages: tuple[str, ...], root: Path = _ROOT) -> str:
    """A hash of every ``.py`` file in these subpackages of ``root`` (re-read only when one changes)."""
    files = sorted(p for package in packages for p in (root / package).glob("*.py"))
    stamp = tuple((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _hash_files(root, stamp)


@lru_cache(maxsize=16)
def _hash_files(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _size, _mtime in stamp:
        digest.update(name.encode() + b"\x00" + (root / name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _package_version() -> str:
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def _dialog_name(settings: Settings) -> str:
    if settings.llm == "rules":
        return f"rules/{settings.intent_classifier}"
    if settings.llm == "mistral":
        return f"mistral/{settings.mistral_model}@{settings.mistral_url or 'default'}"
    if settings.llm == "openai":
        return f"openai/{settings.openai_model}@{settings.openai_url}"
    if settings.llm == "fake":
        return f"fake/{_digest(settings.fake_replies)}"
    return settings.llm


def _adapter(settings: Settings, adapter: str | None) -> str:
    """The adapter's name and what it was trained on and when: a retrained one is another adapter."""
    if adapter is None:
        return "none"
    from orchestrator.adapters.store import find_adapter
    from orchestrator.errors import VoicebotError

    try:
        info = find_adapter(settings, adapter).info
    except VoicebotError:
        return f"{adapter}/missing"
    return f"{adapter}/{_digest([info.data.sha256, info.created_at, info.served_model, info.labels])}"


@dataclass(frozen=True, slots=True)
class MakerVersion:
    """The parts an answer was made from, and one id over all of them."""

    parts: dict[str, str]

    @property
    def id(self) -> str:
        """The version an entry records and a lookup must match."""
        return _digest(self.parts)


def maker(settings: Settings, phrases: list[str], adapter: str | None) -> MakerVersion:
    """The version of what answers a turn now: FAQ, phrases and templates, dialog and model, adapter, package."""
    sources = _RULES_SOURCES if settings.llm == "rules" else _LLM_SOURCES
    return MakerVersion({
        "faq": faq_digest(),
        "phrases": _digest(phrases),
        "templates": sources_digest(sources),
        "dialog": _dialog_name(settings),
        "adapter": _adapter(settings, adapter),
        "package": _package_version(),
    })

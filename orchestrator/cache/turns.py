"""The pipeline's side of the cache: look a turn up, answer from an entry, remember a new answer.

The pipeline calls ``lookup`` before the dialog and, on a miss, ``remember``
after the reply was spoken. A hit on a session's first turn is served after
the AI disclosure, which is said first as on any first turn; otherwise its
reply audio is reused when the same voice said the same text before.

The scope of an entry is the dialog backend, its intent classifier and the
session's LoRA adapter: an answer made by one never serves another. Its
version (``versions.maker``) is what the answer was made from: an answer
made from another FAQ, other phrases or templates, another model or
adapter, or another package version is never served. Each entry keeps a
hash of the session that made it, so purging that session removes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from loguru import logger

from orchestrator.cache.audio import ReplyAudioStore
from orchestrator.cache.encoders import load_cache_encoder
from orchestrator.cache.policy import is_context_free, memory_delta
from orchestrator.cache.semantic import Probe, SemanticCache
from orchestrator.cache.stores import open_cache_store
from orchestrator.cache.versions import MakerVersion, maker
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.errors import VoicebotError
from orchestrator.llm.base import DialogBackend, DialogTurn
from orchestrator.sessions.lineage import session_tag

__all__ = ["TurnCache", "TurnLookup", "adapter_scope", "base_scope", "load_turn_cache", "session_scope",
           "session_version"]


def base_scope(settings: Settings) -> str:
    """The encoder that embeds the questions and the dialog that makes the answers (with its classifier)."""
    dialog = f"{settings.llm}/{settings.intent_classifier}" if settings.llm == "rules" else settings.llm
    return f"{settings.cache_encoder}/{dialog}"


def adapter_scope(settings: Settings, adapter: str | None) -> str:
    """``base_scope`` plus the LoRA adapter serving the turn (already resolved; None: none)."""
    return f"{base_scope(settings)}/{adapter or 'none'}"


def _resolved(settings: Settings, session_adapter: str | None) -> str | None:
    try:
        from orchestrator.adapters.activation import resolve_adapter

        return resolve_adapter(settings, session_adapter)
    except (ImportError, VoicebotError, OSError, ValueError):
        return session_adapter


def session_scope(settings: Settings, session_adapter: str | None = None) -> str:
    """``adapter_scope`` for a session with this adapter choice (the global one when None)."""
    return adapter_scope(settings, _resolved(settings, session_adapter))


def _phrases(dialog: DialogBackend | None) -> list[str]:
    """The dialog's fixed sentences (the rules dialog's when no dialog is given: every backend falls back on it)."""
    if dialog is not None:
        return list(dialog.fixed_phrases())
    from orchestrator.dialog import phrases

    return list(phrases.FIXED_PHRASES)


def session_version(settings: Settings, dialog: DialogBackend | None = None,
                    session_adapter: str | None = None) -> MakerVersion:
    """The version a turn of this session is answered under now."""
    return maker(settings, _phrases(dialog), _resolved(settings, session_adapter))


@dataclass(frozen=True, slots=True)
class TurnLookup:
    """A probe plus whether the pipeline may answer with it, under which version, for which session."""

    probe: Probe
    serve: bool
    reason: str  # the probe's reason
    made_by: dict[str, str] | None = None
    source: str | None = None  # session_tag of the session looking up

    @property
    def hit(self) -> bool:
        """True when the pipeline answers from the cache."""
        return self.serve and self.probe.hit


class TurnCache:
    """A ``SemanticCache`` wired to one pipeline's settings, plus the reply audio it reuses."""

    def __init__(
        self, cache: SemanticCache, audio: ReplyAudioStore, settings: Settings, dialog: DialogBackend | None = None
    ) -> None:
        self.cache = cache
        self.audio = audio
        self.settings = settings
        self.dialog = dialog  # whose phrases the version covers

    @property
    def threshold(self) -> float:
        """The cosine similarity a hit needs."""
        return self.cache.threshold

    def lookup(
        self, user_text: str, memory: Mapping[str, Any], adapter: str | None, *, session_id: str | None = None
    ) -> TurnLookup:
        """Probe the cache for a turn of ``session_id`` served by ``adapter`` (resolved; None: none).

        Blocking: it embeds the text.
        """
        try:
            made_by = maker(self.settings, _phrases(self.dialog), adapter)
            probe = self.cache.probe(user_text, memory, scope=adapter_scope(self.settings, adapter),
                                     version=made_by.id)
        except (VoicebotError, OSError, ValueError):
            # A broken store or encoder costs the turn its shortcut, never its answer.
            return TurnLookup(Probe("", "error"), serve=False, reason="error")
        source = session_tag(session_id) if session_id is not None else None
        return TurnLookup(probe, serve=probe.hit, reason=probe.reason, made_by=made_by.parts, source=source)

    def answer(self, lookup: TurnLookup, memory: Mapping[str, Any]) -> DialogTurn:
        """The dialog turn an entry replays, with the memory change it made when it was first said.

        On a session's first turn the AI disclosure comes first, as it does before any first answer.
        An LLM session's history gets the exchange too, so the model knows what was said.
        """
        entry = lookup.probe.entry
        assert entry is not None
        after = {**memory, **entry.memory_delta}
        text = entry.reply
        if self.settings.disclosure and not memory.get("disclosed"):
            text, after["disclosed"] = f"{AI_DISCLOSURE} {entry.reply}", True
        if "llm_history" in memory:
            history = [*memory["llm_history"], {"role": "user", "content": lookup.probe.question},
                       {"role": "assistant", "content": entry.reply}]
            keep = 2 * self.settings.llm_history_turns
            after["llm_history"] = history[-keep:] if keep else []
        return DialogTurn(
            text=text,
            intent=entry.intent,
            slots=dict(entry.slots),
            state=entry.state,
            memory=after,
            figures=dict(entry.figures),
            source="cache",
        )

    def reply_audio(self, voice: str, rate: int, text: str) -> np.ndarray | None:
        """Audio this voice made for ``text`` before, if kept."""
        return self.audio.get(voice, rate, text)

    def remember(
        self,
        lookup: TurnLookup,
        memory_before: Mapping[str, Any],
        turn: DialogTurn,
        *,
        voice: str,
        rate: int,
        audio: np.ndarray,
        cost_ms: float,
    ) -> tuple[bool, str]:
        """Store a missed turn's answer when policy allows; (stored, why)."""
        if not is_context_free(memory_before):
            return False, "context"  # an LLM answer may lean on the conversation before it
        reply = turn.text
        if self.settings.disclosure and not memory_before.get("disclosed"):
            # The first reply carries the disclosure; the entry keeps only the answer (and no audio).
            reply = reply.removeprefix(AI_DISCLOSURE).lstrip()
        delta = memory_delta(memory_before, turn.memory)
        try:
            entry, why = self.cache.remember(
                lookup.probe,
                intent=turn.intent,
                reply=reply,
                state=turn.state,
                slots=turn.slots,
                figures=turn.figures,
                memory_delta=delta,
                cost_ms=cost_ms,
                made_by=lookup.made_by,
                source=lookup.source,
            )
        except (VoicebotError, OSError) as exc:
            return False, f"error: {exc}"
        if entry is not None and reply == turn.text and audio.size:
            with contextlib.suppress(OSError):  # audio is an optimisation; the entry stands without it
                self.audio.put(voice, rate, reply, audio)
        return entry is not None, why


def load_turn_cache(settings: Settings, dialog: DialogBackend | None = None) -> TurnCache | None:
    """The cache ``VOICEBOT_CACHE`` asks for (None when off); loads the encoder and the entries.

    ``dialog`` is the pipeline's: its fixed phrases are part of every entry's version.
    """
    if not settings.cache:
        return None
    cache = SemanticCache(
        load_cache_encoder(settings.cache_encoder, settings.models_dir),
        open_cache_store(settings),
        threshold=settings.cache_threshold,
        topic_threshold=settings.cache_topic_threshold,
        ttl_s=settings.cache_ttl_s,
        scope=session_scope(settings),
        version=session_version(settings, dialog).id,
    )
    try:
        cache.refresh()
    except VoicebotError as exc:
        # A damaged store costs every turn its shortcut (each lookup says "error"), never the turn.
        logger.warning("semantic cache unavailable: {}", exc.message)
    return TurnCache(cache, ReplyAudioStore(settings.cache_dir / "audio"), settings, dialog)

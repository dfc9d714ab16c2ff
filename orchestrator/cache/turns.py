"""The pipeline's side of the cache: look a turn up, answer from an entry, remember a new answer.

The pipeline calls ``lookup`` before the dialog and, on a miss, ``remember``
after the reply was spoken. A hit is served only once the session has heard
the AI disclosure (it is said before anything else, by the dialog step), and
its reply audio is reused when the same voice said the same text before.

The scope of an entry is the dialog backend, its intent classifier and the
session's LoRA adapter: an answer made by one never serves another.
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
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.errors import VoicebotError
from orchestrator.llm.base import DialogTurn

__all__ = ["TurnCache", "TurnLookup", "adapter_scope", "base_scope", "load_turn_cache", "session_scope"]


def base_scope(settings: Settings) -> str:
    """The encoder that embeds the questions and the dialog that makes the answers (with its classifier)."""
    dialog = f"{settings.llm}/{settings.intent_classifier}" if settings.llm == "rules" else settings.llm
    return f"{settings.cache_encoder}/{dialog}"


def adapter_scope(settings: Settings, adapter: str | None) -> str:
    """``base_scope`` plus the LoRA adapter serving the turn (already resolved; None: none)."""
    return f"{base_scope(settings)}/{adapter or 'none'}"


def session_scope(settings: Settings, session_adapter: str | None = None) -> str:
    """``adapter_scope`` for a session with this adapter choice (the global one when None)."""
    try:
        from orchestrator.adapters.activation import resolve_adapter

        return adapter_scope(settings, resolve_adapter(settings, session_adapter))
    except (ImportError, VoicebotError, OSError, ValueError):
        return adapter_scope(settings, session_adapter)


@dataclass(frozen=True, slots=True)
class TurnLookup:
    """A probe plus whether the pipeline may answer with it."""

    probe: Probe
    serve: bool
    reason: str  # the probe's reason, or "disclosure" for a hit held back until the disclosure was said

    @property
    def hit(self) -> bool:
        """True when the pipeline answers from the cache."""
        return self.serve and self.probe.hit


class TurnCache:
    """A ``SemanticCache`` wired to one pipeline's settings, plus the reply audio it reuses."""

    def __init__(self, cache: SemanticCache, audio: ReplyAudioStore, settings: Settings) -> None:
        self.cache = cache
        self.audio = audio
        self.settings = settings

    @property
    def threshold(self) -> float:
        """The cosine similarity a hit needs."""
        return self.cache.threshold

    def lookup(self, user_text: str, memory: Mapping[str, Any], adapter: str | None) -> TurnLookup:
        """Probe the cache for a turn served by ``adapter`` (resolved; None: none). Blocking: it embeds the text."""
        try:
            probe = self.cache.probe(user_text, memory, scope=adapter_scope(self.settings, adapter))
        except (VoicebotError, OSError, ValueError):
            # A broken store or encoder costs the turn its shortcut, never its answer.
            return TurnLookup(Probe("", "error"), serve=False, reason="error")
        disclosed = not self.settings.disclosure or bool(memory.get("disclosed"))
        if probe.hit and not disclosed:
            return TurnLookup(probe, serve=False, reason="disclosure")
        return TurnLookup(probe, serve=probe.hit, reason=probe.reason)

    def answer(self, lookup: TurnLookup, memory: Mapping[str, Any]) -> DialogTurn:
        """The dialog turn an entry replays, with the memory change it made when it was first said.

        An LLM session's history gets the exchange too, so the model knows what was said.
        """
        entry = lookup.probe.entry
        assert entry is not None
        after = {**memory, **entry.memory_delta}
        if "llm_history" in memory:
            history = [*memory["llm_history"], {"role": "user", "content": lookup.probe.question},
                       {"role": "assistant", "content": entry.reply}]
            keep = 2 * self.settings.llm_history_turns
            after["llm_history"] = history[-keep:] if keep else []
        return DialogTurn(
            text=entry.reply,
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
            )
        except (VoicebotError, OSError) as exc:
            return False, f"error: {exc}"
        if entry is not None and reply == turn.text and audio.size:
            with contextlib.suppress(OSError):  # audio is an optimisation; the entry stands without it
                self.audio.put(voice, rate, reply, audio)
        return entry is not None, why


def load_turn_cache(settings: Settings) -> TurnCache | None:
    """The cache ``VOICEBOT_CACHE`` asks for (None when off); loads the encoder and the entries."""
    if not settings.cache:
        return None
    cache = SemanticCache(
        load_cache_encoder(settings.cache_encoder),
        open_cache_store(settings),
        threshold=settings.cache_threshold,
        topic_threshold=settings.cache_topic_threshold,
        ttl_s=settings.cache_ttl_s,
        scope=session_scope(settings),
    )
    try:
        cache.refresh()
    except VoicebotError as exc:
        # A damaged store costs every turn its shortcut (each lookup says "error"), never the turn.
        logger.warning("semantic cache unavailable: {}", exc.message)
    return TurnCache(cache, ReplyAudioStore(settings.cache_dir / "audio"), settings)

"""The semantic cache around the dialog: a hit answers without it (reusing the kept reply audio); a miss's
answer is remembered after it was spoken, when policy allows (``orchestrator.cache.turns``)."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING

from orchestrator.cache.semantic import Probe
from orchestrator.cache.turns import TurnLookup
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.events import CacheLookup
from orchestrator.tts.stream import SpeechStream
from orchestrator.turn.compliance import Compliance
from orchestrator.turn.consent import answers_due, note_question
from orchestrator.turn.context import TurnContext, ms_since
from orchestrator.turn.dialog import Ask, Reply
from orchestrator.turn.speech import Spoken

if TYPE_CHECKING:
    from orchestrator.cache.turns import TurnCache

__all__ = ["CachedAnswers"]


class CachedAnswers:
    """Wraps the compliance and dialog stages with the cache (``cache`` None: the cache is off)."""

    def __init__(self, cache: TurnCache | None, inner: Compliance) -> None:
        self.cache = cache
        self.inner = inner

    async def answer(self, ctx: TurnContext, question: Ask, speech: SpeechStream) -> Reply:
        """The cached answer on a hit (its audio fetched when kept), else the inner stages'."""
        cache = self.cache
        if cache is None:
            return await self.inner.answer(ctx, question, speech)
        if answers_due(ctx.state, ctx.turn, question.text):
            # An answer to the recording question (or a withdrawal) is never served from the cache.
            reply = await self.inner.answer(ctx, question, speech)
            skipped = TurnLookup(Probe(question.text, "consent"), serve=False, reason="consent")
            return Reply(reply.turn, reply.user_text, reply.backend, reply.ms, reply.adapter, skipped)
        start = time.perf_counter()
        memory = ctx.state.dialog
        lookup = await asyncio.to_thread(
            cache.lookup, question.text, memory, question.adapter, session_id=ctx.session_id
        )
        if not lookup.hit:
            reply = await self.inner.answer(ctx, question, speech)
            return Reply(reply.turn, reply.user_text, reply.backend, reply.ms, reply.adapter, lookup)
        turn = cache.answer(lookup, memory)
        if turn.memory.get("disclosed") and not memory.get("disclosed"):
            note_question(ctx, turn.text.removeprefix(AI_DISCLOSURE))  # the disclosure came first: it asked
        # Kept by this voice before: handed on as it is; else (another worker's, or never) spoken as usual.
        speech.put(turn.text, known=functools.partial(cache.reply_audio, speech.voice, speech.sample_rate, turn.text))
        return Reply(turn, lookup.probe.question, "cache", ms_since(start), lookup=lookup)

    async def remember(self, ctx: TurnContext, reply: Reply, spoken: Spoken, *, voice: str) -> None:
        """Emit the turn's ``cache_lookup``; on a miss, keep the answer (and its audio) if policy allows."""
        lookup = reply.lookup
        if self.cache is None or lookup is None:
            return
        cost_ms = ctx.timings.get("dialog", 0.0) + ctx.timings.get("tts", 0.0)
        stored, saved = False, 0.0
        if lookup.hit:
            assert lookup.probe.entry is not None
            saved = round(max(0.0, lookup.probe.entry.cost_ms - cost_ms), 1)
        elif lookup.probe.looked_up:
            stored, _why = await asyncio.to_thread(
                self.cache.remember, lookup, ctx.state.dialog, reply.turn, voice=voice, rate=spoken.sample_rate,
                audio=spoken.audio, cost_ms=cost_ms,
            )
        probe = lookup.probe
        ctx.emit(CacheLookup(
            cache_hit=lookup.hit, reason=lookup.reason, similarity=probe.similarity, threshold=self.cache.threshold,
            lookup_ms=round(probe.ms, 2), ms_saved=saved, entry_id=probe.entry.id if probe.entry is not None else None,
            stored=stored, index=self.cache.cache.index_kind,
        ))

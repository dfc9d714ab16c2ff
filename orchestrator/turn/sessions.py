"""A turn's session: one turn at a time per session, and the state saved whole however the turn ends.

A turn that ends well stores the dialog's new memory and a history entry; a
failed one keeps the old memory and only moves the turn counter (so event
``(session, turn)`` pairs stay unique); a cut one (cancelled: barge-in) keeps
the new memory if the dialog had answered and marks its history entry as cut.
A save is never torn by a cancel: the session stays locked until it is done.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import get_args

from orchestrator.errors import InputError, VoicebotError
from orchestrator.events import Stage
from orchestrator.memory import release_freed_memory
from orchestrator.sessions.base import HistoryEntry, SessionState, SessionStore
from orchestrator.turn.context import TurnContext
from orchestrator.turn.result import TurnResult
from orchestrator.turn.speech import Spoken
from orchestrator.turn.stt import Heard
from orchestrator.turnview import TurnView

__all__ = ["Sessions", "mark_last_cut"]

_STAGES: tuple[Stage, ...] = get_args(Stage)


class Sessions:
    """The session store as turns use it."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        # One lock per session while it has a turn running; idle sessions cost nothing.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, sid: str) -> asyncio.Lock:
        """The session's lock (one per session while anything holds it)."""
        lock = self._locks.get(sid)
        if lock is None:
            lock = self._locks[sid] = asyncio.Lock()
        return lock

    async def load(self, sid: str) -> SessionState:
        """The saved state, or a new one."""
        return await asyncio.to_thread(self.store.load, sid) or SessionState(session_id=sid)

    async def save(self, state: SessionState) -> None:
        """Save ``state``; a cancel meanwhile waits for the save to finish, then goes on."""
        saving = asyncio.ensure_future(asyncio.to_thread(self.store.save, state))
        cancelled = False
        while not saving.done():
            try:
                await asyncio.shield(saving)
            except asyncio.CancelledError:
                cancelled = True
        saving.result()  # a failed save raises here
        if cancelled:
            raise asyncio.CancelledError

    async def update(self, sid: str, change: Callable[[SessionState], None]) -> None:
        """Load, change and save one session's state between its turns."""
        async with self.lock(sid):
            state = await self.load(sid)
            change(state)
            await self.save(state)

    async def claim(self, sid: str, owner: str) -> str | None:
        """Record ``owner`` on a stored session that has none; the owner in effect (None: no such session)."""
        async with self.lock(sid):
            state = await asyncio.to_thread(self.store.load, sid)
            if state is None or state.owner is not None:
                return state.owner if state is not None else None
            state.owner = owner
            await self.save(state)
            return owner

    async def close(self, ctx: TurnContext, heard: Heard | None, spoken: Spoken) -> TurnResult:
        """End a turn that answered: ``turn_ended``, the new memory and history entry, the result."""
        voice_to_voice = spoken.first_audio_ms if heard is not None else None
        ctx.end(ok=True, voice_to_voice_ms=voice_to_voice)
        view = TurnView.of(ctx.events)
        reply, answer = view.reply, ctx.answer
        assert reply is not None and answer is not None
        ctx.state.dialog = answer.memory
        ctx.state.history.append(_entry(ctx, view))
        await self.save(ctx.state)
        release_freed_memory()  # the turn's buffers are free now: keep RSS level across a long call
        return TurnResult(
            session_id=ctx.session_id,
            turn=ctx.turn,
            user_text=reply.user_text,
            transcript=heard.text if heard is not None else None,
            confidence=heard.confidence if heard is not None else None,
            reply=reply.text,
            intent=reply.intent,
            slots=reply.slots,
            state=reply.state,
            figures=dict(answer.figures),
            timings_ms=ctx.timings,
            voice_to_voice_ms=voice_to_voice,
            audio=spoken.audio,
            sample_rate=spoken.sample_rate,
            events=ctx.events,
        )

    async def close_failed(self, ctx: TurnContext, exc: VoicebotError) -> None:
        """End a failed turn: ``error`` (in the stage that failed), ``turn_ended``; the old memory stays."""
        stage = getattr(exc, "stage", None)
        if isinstance(exc, InputError) or stage not in _STAGES:
            stage = ctx.stage
        ctx.error(stage, exc.category, exc.message, exc.retryable)
        ctx.end(ok=False)
        exc.turn_events = tuple(ctx.events)
        await self.save(ctx.state)

    async def close_cut(self, ctx: TurnContext, *, called_off: bool = False) -> None:
        """End a cancelled turn: ``turn_ended`` says it was cut; what the dialog had said goes to the history.

        A turn ``called_off`` (the caller went on, and its words join the next turn) leaves the
        dialog as it was, like a failed turn: the joined words are answered from the same place."""
        ctx.end(ok=False, cut=True, called_off=called_off)
        if called_off:
            await self.save(ctx.state)
            return
        view = TurnView.of(ctx.events)
        if view.reply is not None and ctx.answer is not None:
            ctx.state.dialog = ctx.answer.memory
            ctx.state.history.append(_entry(ctx, view, cut=True))
        elif view.pieces:  # a streaming dialog had begun to speak
            ctx.state.history.append(HistoryEntry(
                turn=ctx.turn, user=ctx.user_text or "", bot=view.spoken_text, intent="", input_kind=_kind(view),
                audio_file=view.recording_file, cut=True,
            ))
        await self.save(ctx.state)


def _kind(view: TurnView) -> str:
    return view.input_kind or "text"


def _entry(ctx: TurnContext, view: TurnView, *, cut: bool = False) -> HistoryEntry:
    reply = view.reply
    assert reply is not None
    return HistoryEntry(
        turn=ctx.turn,
        user=reply.user_text,
        bot=reply.text,
        intent=reply.intent,
        input_kind=_kind(view),
        audio_file=view.recording_file,
        slots=reply.slots,
        state=reply.state,
        figures=reply.figures,
        cut=cut,
    )


def mark_last_cut(state: SessionState) -> None:
    """The last reply was cut short by the caller (a barge-in after its turn ended)."""
    if state.history:
        state.history[-1].cut = True

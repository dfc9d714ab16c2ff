"""The dialog: the backend answers the caller's (redacted) words, streaming its sentences to the voice if it can.

``Ask`` is what the dialog is asked, ``Reply`` what came back and who
answered; ``announce`` emits a reply's ``llm_call``, recovered ``error`` and
``dialog_reply`` events, whichever stage produced it.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.adapters.activation import resolve_adapter
from orchestrator.adapters.dialogs import AdaptedDialog, adapted_dialog
from orchestrator.config import Settings
from orchestrator.events import DialogReply, LLMCall
from orchestrator.llm.base import DialogBackend, DialogTurn, StreamingDialog
from orchestrator.tts.stream import SpeechStream
from orchestrator.turn.context import TurnContext

if TYPE_CHECKING:
    from orchestrator.cache.turns import TurnLookup

__all__ = ["Ask", "Dialog", "Reply", "announce", "ask"]


@dataclass(frozen=True, slots=True)
class Ask:
    """The caller's words (redacted) and the LoRA adapter that serves the turn (resolved; None: none)."""

    text: str
    adapter: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the dialog (or a stage standing in for it) answered, to whom, how long it took."""

    turn: DialogTurn
    user_text: str
    backend: str
    ms: float
    adapter: str | None = None
    lookup: TurnLookup | None = None  # the semantic cache's verdict on the turn, when a cache looked


async def ask(ctx: TurnContext, settings: Settings, text: str) -> Ask:
    """The question for this turn: the session's adapter (or the global one) is read once, here."""
    ctx.stage = "dialog"
    return Ask(text, await asyncio.to_thread(resolve_adapter, settings, ctx.state.adapter))


class Dialog:
    """The dialog stage around one backend."""

    def __init__(self, dialog: DialogBackend, settings: Settings) -> None:
        self.dialog = dialog
        self.settings = settings

    async def adapt(self, adapter: str | None) -> AdaptedDialog:
        """The dialog that serves the turn: the adapter picks the rules dialog's intent classifier, or an LLM
        backend's served model (loading it the first time)."""
        return await asyncio.to_thread(adapted_dialog, self.dialog, self.settings, adapter)

    async def answer(self, ctx: TurnContext, text: str, adapted: AdaptedDialog, speech: SpeechStream) -> DialogTurn:
        """The backend's answer; a streaming backend hands each finished sentence to ``speech`` at once."""
        memory = dict(ctx.state.dialog)
        dialog = adapted.dialog
        if isinstance(dialog, StreamingDialog):
            reply = functools.partial(dialog.reply_stream, model=adapted.model)
            return await asyncio.to_thread(reply, text, memory, speech.put_threadsafe)
        turn = await asyncio.to_thread(dialog.reply, text, memory)
        speech.put(turn.text)
        return turn


def announce(ctx: TurnContext, reply: Reply) -> None:
    """Emit the reply's LLM calls, the failures it answered through, and its ``dialog_reply``."""
    turn = reply.turn
    ctx.timings["dialog"] = reply.ms
    for call in turn.llm_calls:
        ctx.emit(LLMCall(
            backend=reply.backend, model=call.model, round=call.round, attempt=call.attempt, ok=call.ok, ms=call.ms,
            status=call.status, category=call.category, first_token_ms=call.first_token_ms,
            prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens,
            tool_calls=list(call.tool_calls),
        ))
    for note in turn.notes:
        ctx.error("dialog", note.category, note.message, note.retryable, recovered=True)
    ctx.emit(DialogReply(
        user_text=reply.user_text,
        text=turn.text,
        intent=turn.intent,
        slots=turn.slots,
        state=turn.state,
        ms=reply.ms,
        backend=reply.backend,
        figures=dict(turn.figures),
        source=turn.source,
        flagged_figures=list(turn.flagged_figures),
        adapter=reply.adapter,
    ))
    ctx.answer = turn

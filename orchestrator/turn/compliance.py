"""Compliance around the dialog: the dialog sees only redacted words, the AI disclosure comes first,
and an answer to the recording question (``orchestrator.turn.consent``) is the pipeline's, not the dialog's."""

from __future__ import annotations

import dataclasses
import time

from orchestrator.compliance import AI_DISCLOSURE, redact
from orchestrator.config import Settings
from orchestrator.llm.base import DialogTurn
from orchestrator.tts.stream import SpeechStream
from orchestrator.turn.consent import note_question, settle
from orchestrator.turn.context import TurnContext, ms_since
from orchestrator.turn.dialog import Ask, Dialog, Reply

__all__ = ["Compliance"]


class Compliance:
    """Wraps the dialog stage: redaction, the caller's consent, the disclosure."""

    def __init__(self, settings: Settings, dialog: Dialog) -> None:
        self.settings = settings
        self.dialog = dialog

    async def answer(self, ctx: TurnContext, question: Ask, speech: SpeechStream) -> Reply:
        """The turn's answer, with the disclosure in front of a session's first one."""
        start = time.perf_counter()
        clean = redact(question.text)
        state = ctx.state
        # Loaded before anything is said: a broken adapter fails the turn instead of leaving it half-spoken.
        adapted = await self.dialog.adapt(question.adapter)
        disclose = self.settings.disclosure and not state.dialog.get("disclosed")
        if disclose:
            # Regulators want the AI-and-recording notice before anything else is said;
            # its audio is cached, so it plays while the dialog is still thinking.
            speech.put(AI_DISCLOSURE)
        settled = settle(ctx, self.settings, clean)
        if settled is not None:
            speech.put(settled.sentence)  # the caller hears what was understood, first
        if settled is not None and not settled.rest:
            # The dialog's slots and state stay as its last reply left them.
            last = state.history[-1] if state.history else None
            turn = DialogTurn(
                text=settled.sentence,
                intent="consent",
                slots=dict(last.slots) if last else {},
                state=(last.state or "start") if last else "start",
                memory=dict(state.dialog),
            )
        else:
            turn = await self.dialog.answer(ctx, settled.rest if settled else clean, adapted, speech)
            if settled is not None:
                turn = dataclasses.replace(turn, text=f"{settled.sentence} {turn.text}")
        if disclose:
            note_question(ctx, turn.text)
            turn = dataclasses.replace(
                turn, text=f"{AI_DISCLOSURE} {turn.text}", memory={**turn.memory, "disclosed": True}
            )
        return Reply(turn, clean, self.dialog.dialog.name, ms_since(start), question.adapter)

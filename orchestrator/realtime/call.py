"""A caller's live session: the ``Conversation`` the engine drives, answering each utterance with a pipeline turn.

``LiveCall`` stamps the engine's events with the session and the turn they lead to,
runs each endpointed utterance as a turn whose reply pieces go straight to the
``ReplyPlayer``, and on a barge-in lets the face know what was heard. The face
(browser, CLI, telephony) chooses how a turn is run and shown: ``run`` is any
coroutine that takes the utterance, the caller's audio and the audio-piece callback
(by default ``Pipeline.run_turn`` itself).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from loguru import logger

from orchestrator.audio import TARGET_RATE, pcm16_bytes
from orchestrator.events import AnyEvent
from orchestrator.pipeline import AudioInput, Pipeline
from orchestrator.realtime.base import Utterance
from orchestrator.realtime.playback import Heard, ReplyPlayer
from orchestrator.sessions.ids import validate_session_id
from orchestrator.turn.context import emit_between_turns

__all__ = ["LiveCall", "LiveTurn", "PieceCallback", "TurnRunner"]

PieceCallback = Callable[[int, np.ndarray, int], Awaitable[None]]
TurnRunner = Callable[[Utterance, AudioInput, PieceCallback], Awaitable[Any]]


@dataclass
class LiveTurn:
    """One utterance the call answered (or is answering): what was said, what came of it."""

    utterance: Utterance
    outcome: Any = None  # whatever ``run`` returned
    cut: Heard | None = None  # set when the caller barged in on its reply
    task: asyncio.Task[None] | None = None  # the turn under way
    track: str | None = None  # the player's track its reply went out on


class LiveCall:
    """The engine's conversation over one pipeline session."""

    def __init__(
        self,
        pipeline: Pipeline,
        session_id: str,
        player: ReplyPlayer,
        *,
        run: TurnRunner | None = None,
        on_cut: Callable[[Heard], Awaitable[None]] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.session_id = validate_session_id(session_id)
        self.player = player
        self._run = run or self._pipeline_turn
        self._on_cut = on_cut
        self.turns: list[LiveTurn] = []
        self._next: int | None = None  # the number the next turn will get

    # -- Conversation -------------------------------------------------------

    def emit(self, event: AnyEvent) -> None:
        """Emit a turn-taking event, stamped with the turn it leads to."""
        emit_between_turns(self.pipeline.tracer, event, self.session_id, self._next_turn())

    async def start_turn(self, utterance: Utterance) -> asyncio.Task[None]:
        """Answer ``utterance`` in a task of its own (the engine cancels it on a barge-in)."""
        live = LiveTurn(utterance, track=self.player.track)
        self.turns.append(live)
        live.task = asyncio.create_task(self._answer(live))
        return live.task

    def call_off_turn(self) -> None:
        """The engine joins the running turn's words to the caller's next ones: the dialog keeps its state."""
        self.pipeline.call_off(self.session_id)

    def hold_turn(self, held: bool) -> None:
        """The running turn waits before saving while the caller's new speech may still join it."""
        if held:
            self.pipeline.hold_close(self.session_id)
        else:
            self.pipeline.release_close(self.session_id)

    async def cut_turn(self, heard: Heard) -> None:
        """The caller barged in: note what they heard; the face shows it.

        A turn still running was cancelled by the engine (its ``turn_ended`` says cut and its
        history entry is marked); one that had ended while its reply played is marked here."""
        if self.turns:
            last = self.turns[-1]
            last.cut = heard
            if last.task is not None and last.task.done() and last.outcome not in ("cut", "failed"):
                await self.pipeline.mark_cut(self.session_id)
        if self._on_cut is not None:
            await self._on_cut(heard)

    # -- a turn ----------------------------------------------------------------

    def _next_turn(self) -> int:
        if self._next is None:
            state = self.pipeline.store.load(self.session_id)
            self._next = (state.turns if state is not None else 0) + 1
        return self._next

    async def _answer(self, live: LiveTurn) -> None:
        utterance = live.utterance
        # The engine already transcribed exactly this audio (during the pause): the STT stage uses that.
        audio = AudioInput(pcm=pcm16_bytes(utterance.samples), sample_rate=TARGET_RATE,
                           transcript=utterance.transcript)
        try:
            live.outcome = await self._run(utterance, audio, self.piece)
        except asyncio.CancelledError:
            live.outcome = "cut"
            raise
        except Exception:  # the face reports turn errors; a bug here must not end the call
            logger.exception("live turn failed in session {}", self.session_id)
            live.outcome = "failed"
        finally:
            self._next = None  # read again: a turn that failed or was cut still took its number

    async def piece(self, index: int, samples: np.ndarray, rate: int) -> None:
        """Send one synthesised piece of the current reply to the player."""
        await self.player.play(samples, rate, "")

    async def _pipeline_turn(self, utterance: Utterance, audio: AudioInput, on_piece: PieceCallback) -> Any:
        return await self.pipeline.run_turn(self.session_id, audio=audio, on_audio_chunk=on_piece)

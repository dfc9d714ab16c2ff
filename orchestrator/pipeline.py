"""One turn: the caller's text or audio through the stages of ``orchestrator.turn``, traced as events.

``Pipeline.run_turn`` is the only entry point the faces (CLI, Chainlit) use.
Blocking model calls run in worker threads so one process serves many
sessions. Cancelling the task that runs a turn (barge-in) cuts it: its
``turn_ended`` says so and the session is saved whole.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING

import numpy as np
from loguru import logger

from orchestrator import audio as audio_mod
from orchestrator.adapters.activation import session_choice
from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.errors import BackendError, VoicebotError
from orchestrator.llm.base import DialogBackend
from orchestrator.sessions.base import SessionState, SessionStore
from orchestrator.sessions.ids import validate_session_id
from orchestrator.stt.base import STT
from orchestrator.trace import Tracer
from orchestrator.tts.base import TTS
from orchestrator.turn.cache import CachedAnswers
from orchestrator.turn.compliance import Compliance
from orchestrator.turn.consent import press
from orchestrator.turn.context import AudioChunkCallback, TurnContext
from orchestrator.turn.dialog import Dialog, announce, ask
from orchestrator.turn.input import AudioInput, AudioSource, AudioStream, read_text, receive
from orchestrator.turn.recording import store
from orchestrator.turn.result import TurnResult
from orchestrator.turn.sessions import Sessions, mark_last_cut
from orchestrator.turn.speech import Speech, Spoken
from orchestrator.turn.stt import Heard, SpeechToText

if TYPE_CHECKING:
    from orchestrator.cache.turns import TurnCache

__all__ = ["HOLD_LIMIT_S", "AudioChunkCallback", "AudioInput", "AudioStream", "Pipeline", "TurnResult"]

HOLD_LIMIT_S = 30.0  # the longest a held turn waits to save (the caller's speech is settled in about a second)


class Pipeline:
    """Loaded backends plus the session store and tracer that every turn uses."""

    def __init__(
        self,
        settings: Settings,
        *,
        stt: STT,
        tts: TTS,
        dialog: DialogBackend,
        store: SessionStore,
        tracer: Tracer,
        tts_cache_size: int = 256,
        cache: TurnCache | None = None,
    ) -> None:
        self.settings = settings
        self.tracer = tracer
        self._sessions = Sessions(store)
        self._stt = SpeechToText(stt)
        self._dialog = Dialog(dialog, settings)
        self._answers = CachedAnswers(cache, Compliance(settings, self._dialog))
        self._speech = Speech(tts, (AI_DISCLOSURE, *dialog.fixed_phrases()), cache_size=tts_cache_size)
        self._called_off: set[str] = set()  # sessions whose running turn is being called off
        self._holds: dict[str, asyncio.Event] = {}  # sessions whose running turn must wait before it saves

    # The parts, as the faces see them; setting one swaps it in the stage that uses it.
    @property
    def store(self) -> SessionStore:
        """Where session state lives."""
        return self._sessions.store

    @property
    def dialog(self) -> DialogBackend:
        """The dialog backend."""
        return self._dialog.dialog

    @property
    def stt(self) -> STT:
        """The recogniser."""
        return self._stt.stt

    @stt.setter
    def stt(self, stt: STT) -> None:
        self._stt.stt = stt

    @property
    def tts(self) -> TTS:
        """The voice."""
        return self._speech.tts

    @tts.setter
    def tts(self, tts: TTS) -> None:
        self._speech.tts = tts

    @property
    def cache(self) -> TurnCache | None:
        """The semantic cache (``orchestrator.cache``), None when off."""
        return self._answers.cache

    @cache.setter
    def cache(self, cache: TurnCache | None) -> None:
        self._answers.cache = cache

    @property
    def backends(self) -> dict[str, str]:
        """Names of the loaded backends."""
        return {"stt": self.stt.name, "tts": self.tts.name, "llm": self.dialog.name}

    def warm_up(self) -> None:
        """Run each model once and pre-synthesize the dialog's fixed sentences."""
        self.stt.transcribe(np.zeros(audio_mod.TARGET_RATE, dtype=np.float32))
        self._speech.warm_up()

    def forget_phrases(self) -> None:
        """Empty the synthesised-phrase cache (the bench measures first pieces made afresh)."""
        self._speech.forget()

    async def run_turn(
        self,
        session_id: str,
        *,
        text: str | None = None,
        audio: AudioSource | None = None,
        on_audio_chunk: AudioChunkCallback | None = None,
    ) -> TurnResult:
        """Run one turn from ``text`` or ``audio`` and return its result.

        Raises ``InputError`` for unusable input and ``BackendError`` when a
        backend fails; either way an ``error`` and a ``turn_ended`` event
        have been emitted and the session keeps its previous dialog state.
        A cancelled turn ends with a ``turn_ended`` marked ``cut``, then
        ``CancelledError`` goes on up.
        """
        sid = validate_session_id(session_id)
        if (text is None) == (audio is None):
            raise ValueError("run_turn takes exactly one of text= or audio=")
        try:
            async with self._sessions.lock(sid):
                state = await self._sessions.load(sid)
                ctx = TurnContext.begin(self.tracer, state, "text" if text is not None else "audio", self.backends)
                try:
                    heard, spoken = await self._stages(ctx, text, audio, on_audio_chunk)
                    await self._held(sid)
                except asyncio.CancelledError:
                    await self._sessions.close_cut(ctx, called_off=sid in self._called_off)
                    raise
                except VoicebotError as exc:
                    await self._sessions.close_failed(ctx, exc)
                    raise
                except Exception as exc:  # a backend bug must still end the turn cleanly
                    wrapped = BackendError(f"{ctx.stage} failed unexpectedly: {exc}", stage=ctx.stage)
                    await self._sessions.close_failed(ctx, wrapped)
                    raise wrapped from exc
                return await self._sessions.close(ctx, heard, spoken)
        finally:
            self._called_off.discard(sid)  # a call-off is for the turn running when it was made, never a later one
            self.release_close(sid)  # so is a hold

    async def _stages(
        self, ctx: TurnContext, text: str | None, audio: AudioSource | None, on_audio_chunk: AudioChunkCallback | None
    ) -> tuple[Heard | None, Spoken]:
        """The stages a turn passes through, in order."""
        heard = None
        if audio is not None:
            caller = await receive(ctx, audio, self.settings)  # decode, limits, trim
            heard = await self._stt.run(ctx, caller)  # with word timings when the voice may be kept
            if caller.recording is not None and heard.timed is not None:
                heard_at = (caller.offset, caller.offset + len(caller.speech))
                # keep the voice with its personal data silenced, or not at all
                await store(ctx, self.settings, self.stt, caller.recording, heard_at, heard.timed)
            user_text = heard.text
        else:
            assert text is not None
            user_text = await read_text(ctx, text, self.settings)  # redact, cut to length
        question = await ask(ctx, self.settings, user_text)  # the session's adapter
        async with self._speech.open(ctx, on_audio_chunk) as speech:
            # semantic cache -> compliance (redaction, consent, disclosure) -> dialog, speaking as it goes
            reply = await self._answers.answer(ctx, question, speech)
            announce(ctx, reply)
            spoken = await self._speech.finish(ctx, speech)
        await self._answers.remember(ctx, reply, spoken, voice=self.tts.name)
        return heard, spoken

    async def set_consent(self, session_id: str, consent: bool) -> None:
        """Record the caller's answer about keeping their voice (the browser's button); a no deletes what was kept."""
        await self._sessions.update(validate_session_id(session_id), functools.partial(press, self.settings, consent))

    def call_off(self, session_id: str) -> None:
        """The session's running turn is about to be cancelled because the caller went on: its words will join
        the next turn, so the cancelled one must leave the dialog where it was (``turn_ended.called_off``)."""
        self._called_off.add(validate_session_id(session_id))

    def hold_close(self, session_id: str) -> None:
        """Speech that may join the session's running turn began: the turn makes its reply, then waits before
        saving until ``release_close`` or its cancellation (a call-off), at most ``HOLD_LIMIT_S``."""
        self._holds.setdefault(validate_session_id(session_id), asyncio.Event())

    def release_close(self, session_id: str) -> None:
        """The speech did not join the running turn: it saves what it did."""
        hold = self._holds.pop(validate_session_id(session_id), None)
        if hold is not None:
            hold.set()

    async def _held(self, sid: str) -> None:
        hold = self._holds.get(sid)
        if hold is not None:
            try:
                await asyncio.wait_for(hold.wait(), HOLD_LIMIT_S)
            except TimeoutError:  # whoever held it is gone: the turn must end all the same
                logger.warning("a turn of session {} was held past {} s; saving it", sid, HOLD_LIMIT_S)

    async def mark_cut(self, session_id: str) -> None:
        """The caller barged in on the last reply after its turn had ended (it was still playing): its history
        entry says it was cut. A turn cut while running is marked by its cancellation."""
        await self._sessions.update(validate_session_id(session_id), mark_last_cut)

    async def set_owner(self, session_id: str, owner: str) -> str | None:
        """Record who owns a stored session unless it already has an owner; the owner in effect."""
        return await self._sessions.claim(validate_session_id(session_id), owner)

    async def set_adapter(self, session_id: str, adapter: str | None) -> None:
        """Choose the session's LoRA adapter from its next turn: a name, ``"base"`` (none) or None (the global one)."""
        sid = validate_session_id(session_id)
        choice = session_choice(adapter)

        def change(state: SessionState) -> None:
            state.adapter = choice

        await self._sessions.update(sid, change)


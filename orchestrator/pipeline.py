"""One turn: audio or text -> STT -> dialog -> TTS, traced as events.

``Pipeline.run_turn`` is the only entry point the faces (CLI, Chainlit) use.
Timing, redaction, error events, session state and the TTS chunk cache
live here, once; backends only do their one job. Blocking model calls run
in worker threads so one process can serve many sessions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from orchestrator import audio as audio_mod
from orchestrator.adapters.activation import resolve_adapter, session_choice
from orchestrator.adapters.dialogs import adapted_dialog
from orchestrator.compliance import (
    AI_DISCLOSURE,
    CONSENT_DECLINED,
    CONSENT_THANKS,
    consent_in,
    is_consent_answer,
    redact,
)
from orchestrator.config import Settings
from orchestrator.errors import (
    BackendError,
    EmptyTextError,
    InputError,
    SilentAudioError,
    VoicebotError,
)
from orchestrator.events import (
    AudioReceived,
    CacheLookup,
    DialogReply,
    ErrorEvent,
    Event,
    LLMCall,
    Stage,
    Transcript,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.llm.base import DialogBackend, DialogTurn, StreamingDialog
from orchestrator.nlu.spoken import speakable
from orchestrator.sessions.base import HistoryEntry, SessionState, SessionStore
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.stt.base import STT, Transcription
from orchestrator.trace import Tracer
from orchestrator.tts.base import TTS
from orchestrator.tts.chunking import split_for_speech, split_sentences
from orchestrator.tts.stream import SpeechStream, SpokenPiece

if TYPE_CHECKING:
    from orchestrator.cache.turns import TurnCache, TurnLookup

__all__ = ["AudioInput", "Pipeline", "TurnResult"]

AudioChunkCallback = Callable[[int, np.ndarray, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AudioInput:
    """Raw mono int16 PCM (the browser microphone's format) at ``sample_rate``.

    ``transcript``: what the recogniser already heard in exactly this audio (speculative STT
    during the caller's pause); the STT stage then uses it instead of transcribing again.
    """

    pcm: bytes
    sample_rate: int
    transcript: Transcription | None = None


@dataclass
class TurnResult:
    """Everything one turn produced (already redacted)."""

    session_id: str
    turn: int
    user_text: str
    transcript: str | None
    confidence: float | None
    reply: str
    intent: str
    slots: dict[str, Any]
    state: str
    figures: dict[str, str]
    timings_ms: dict[str, float]
    voice_to_voice_ms: float | None
    audio: np.ndarray
    sample_rate: int
    events: list[Event] = field(default_factory=list)

    def wav_bytes(self) -> bytes:
        """The reply as a mono 16-bit WAV."""
        return audio_mod.encode_wav(self.audio, self.sample_rate)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 1)


class _TurnTrace:
    """Stamps events with the session and turn, emits them, keeps the redacted copies."""

    def __init__(self, tracer: Tracer, session_id: str, turn: int) -> None:
        self.tracer = tracer
        self.session_id = session_id
        self.turn = turn
        self.events: list[Event] = []

    def emit(self, cls: type[Any], **fields: Any) -> Event:
        event = self.tracer.emit(cls(session_id=self.session_id, turn=self.turn, **fields))
        self.events.append(event)
        return event


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
        self.cache = cache  # the semantic cache (orchestrator.cache), None when off
        self.stt = stt
        self.tts = tts
        self.dialog = dialog
        self.store = store
        self.tracer = tracer
        self._tts_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._tts_cache_size = tts_cache_size
        # One lock per session while it has a turn running; idle sessions cost nothing.
        self._session_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Every piece a verbatim phrase can be spoken as: first in a reply (its first
        # sentence may be cut at a clause) or later in one (whole sentences).
        self._fixed_pieces = {
            piece
            for phrase in (AI_DISCLOSURE, *dialog.fixed_phrases())
            for piece in (*split_for_speech(phrase), *split_sentences(phrase))
        }

    @property
    def backends(self) -> dict[str, str]:
        """Names of the loaded backends."""
        return {"stt": self.stt.name, "tts": self.tts.name, "llm": self.dialog.name}

    def warm_up(self) -> None:
        """Run each model once and pre-synthesize the dialog's fixed sentences."""
        self.stt.transcribe(np.zeros(audio_mod.TARGET_RATE, dtype=np.float32))
        for piece in sorted(self._fixed_pieces):
            self._synthesize_cached(speakable(piece), cache=True)

    def forget_phrases(self) -> None:
        """Empty the synthesised-phrase cache (the bench measures first pieces made afresh)."""
        self._tts_cache.clear()

    # -- the turn ---------------------------------------------------------

    async def run_turn(
        self,
        session_id: str,
        *,
        text: str | None = None,
        audio: bytes | Path | AudioInput | None = None,
        on_audio_chunk: AudioChunkCallback | None = None,
    ) -> TurnResult:
        """Run one turn from ``text`` or ``audio`` and return its result.

        Raises ``InputError`` for unusable input and ``BackendError`` when a
        backend fails; either way an ``error`` and a ``turn_ended`` event
        have been emitted and the session keeps its previous dialog state.
        """
        sid = validate_session_id(session_id)
        if (text is None) == (audio is None):
            raise ValueError("run_turn takes exactly one of text= or audio=")
        async with self._lock_for(sid):
            return await self._run_locked(sid, text, audio, on_audio_chunk)

    def _lock_for(self, sid: str) -> asyncio.Lock:
        """The session's lock (one per session while anything holds it)."""
        lock = self._session_locks.get(sid)
        if lock is None:
            lock = self._session_locks[sid] = asyncio.Lock()
        return lock

    async def _run_locked(
        self,
        sid: str,
        text: str | None,
        audio: bytes | Path | AudioInput | None,
        on_audio_chunk: AudioChunkCallback | None,
    ) -> TurnResult:
        turn_start = time.perf_counter()
        state = await asyncio.to_thread(self.store.load, sid) or SessionState(session_id=sid)
        state.turns += 1
        trace = _TurnTrace(self.tracer, sid, state.turns)
        trace.emit(TurnStarted, input_kind="text" if text is not None else "audio", backends=self.backends)
        timings: dict[str, float] = {}
        stage: Stage = "input"
        try:
            transcript: str | None = None
            confidence: float | None = None
            if audio is not None:
                stage = "audio"
                samples = await self._decode(audio, trace, timings, record=self._may_record(state))
                stage = "stt"
                known = audio.transcript if isinstance(audio, AudioInput) else None
                transcript, confidence = await self._transcribe(samples, trace, timings, known)
                user_text = transcript
            else:
                assert text is not None
                # Redact before cutting to length, so a cut can never split a card number.
                user_text = redact(text.strip())[: self.settings.max_text_chars]
                if not user_text:
                    raise EmptyTextError("the message is empty: type or say something")
            stage = "dialog"
            # The session's LoRA adapter (or the global one), read once for the cache and the dialog.
            adapter = await asyncio.to_thread(resolve_adapter, self.settings, state.adapter)
            lookup, served = await self._cache_serve(
                user_text, state, adapter, trace, timings, on_audio_chunk, turn_start
            )
            if served is not None:  # a semantic-cache hit: no dialog, the reply already spoken
                dialog_turn, (reply_audio, rate, first_ms) = served
            else:
                speech = self._speech_stream(trace, on_audio_chunk)
                try:
                    dialog_turn = await self._dialog(user_text, state, adapter, trace, timings, speech)
                    stage = "tts"
                    reply_audio, rate, first_ms = await self._speak(speech, trace, timings, turn_start)
                finally:
                    await speech.cancel()
            await self._cache_note(lookup, state, trace, dialog_turn, reply_audio, rate, timings)
        except VoicebotError as exc:
            await self._fail(state, trace, stage, exc, timings, turn_start)
            raise
        except Exception as exc:  # a backend bug must still end the turn cleanly
            wrapped = BackendError(f"{stage} failed unexpectedly: {exc}", stage=stage)
            await self._fail(state, trace, stage, wrapped, timings, turn_start)
            raise wrapped from exc

        voice_to_voice = first_ms if audio is not None else None
        timings["total"] = _ms(turn_start)
        trace.emit(
            TurnEnded,
            ok=True,
            total_ms=timings["total"],
            timings_ms=dict(timings),
            voice_to_voice_ms=voice_to_voice,
        )
        reply_event = next(e for e in trace.events if isinstance(e, DialogReply))
        state.dialog = dialog_turn.memory
        received = next((e for e in trace.events if isinstance(e, AudioReceived)), None)
        state.history.append(
            HistoryEntry(
                turn=state.turns,
                user=reply_event.user_text,
                bot=reply_event.text,
                intent=reply_event.intent,
                input_kind="audio" if audio is not None else "text",
                audio_file=received.recording if received is not None else None,
                slots=reply_event.slots,
                state=reply_event.state,
                figures=reply_event.figures,
            )
        )
        await asyncio.to_thread(self.store.save, state)
        return TurnResult(
            session_id=sid,
            turn=state.turns,
            user_text=reply_event.user_text,
            transcript=redact(transcript) if transcript is not None else None,
            confidence=confidence,
            reply=reply_event.text,
            intent=reply_event.intent,
            slots=reply_event.slots,
            state=reply_event.state,
            figures=dict(dialog_turn.figures),
            timings_ms=timings,
            voice_to_voice_ms=voice_to_voice,
            audio=reply_audio,
            sample_rate=rate,
            events=trace.events,
        )

    async def _fail(
        self,
        state: SessionState,
        trace: _TurnTrace,
        stage: Stage,
        exc: VoicebotError,
        timings: dict[str, float],
        turn_start: float,
    ) -> None:
        trace.emit(
            ErrorEvent,
            stage=getattr(exc, "stage", stage) if not isinstance(exc, InputError) else stage,
            category=exc.category,
            message=exc.message,
            retryable=exc.retryable,
        )
        timings["total"] = _ms(turn_start)
        trace.emit(TurnEnded, ok=False, total_ms=timings["total"], timings_ms=dict(timings))
        exc.turn_events = tuple(trace.events)
        # Keep the turn counter moving so event (session, turn) pairs stay unique.
        await asyncio.to_thread(self.store.save, state)

    # -- stages -----------------------------------------------------------

    def _may_record(self, state: SessionState) -> bool:
        """Keep this caller's voice? Only with the setting on and, by default, their consent given earlier."""
        retention = self.settings.audio_retention
        if not self.settings.record_audio or retention == "off":
            return False
        return retention == "all" or state.voice_consent is True

    async def set_consent(self, session_id: str, consent: bool) -> None:
        """Record the caller's answer about keeping their voice (e.g. from a button in the browser)."""
        sid = validate_session_id(session_id)
        async with self._lock_for(sid):
            state = await asyncio.to_thread(self.store.load, sid) or SessionState(session_id=sid)
            state.voice_consent = consent
            await asyncio.to_thread(self.store.save, state)

    async def set_owner(self, session_id: str, owner: str) -> str | None:
        """Record who owns a stored session unless it already has an owner; the owner in effect."""
        sid = validate_session_id(session_id)
        async with self._lock_for(sid):
            state = await asyncio.to_thread(self.store.load, sid)
            if state is None or state.owner is not None:
                return state.owner if state is not None else None
            state.owner = owner
            await asyncio.to_thread(self.store.save, state)
            return owner

    async def set_adapter(self, session_id: str, adapter: str | None) -> None:
        """Choose the session's LoRA adapter from its next turn: a name, ``"base"`` (none) or None (the global one)."""
        sid = validate_session_id(session_id)
        choice = session_choice(adapter)
        async with self._lock_for(sid):
            state = await asyncio.to_thread(self.store.load, sid) or SessionState(session_id=sid)
            state.adapter = choice
            await asyncio.to_thread(self.store.save, state)

    async def _decode(
        self, audio: bytes | Path | AudioInput, trace: _TurnTrace, timings: dict[str, float], *, record: bool
    ) -> np.ndarray:
        start = time.perf_counter()
        s = self.settings

        def work() -> tuple[audio_mod.DecodedAudio, np.ndarray]:
            if isinstance(audio, AudioInput):
                decoded = audio_mod.pcm16_to_audio(audio.pcm, audio.sample_rate, max_seconds=s.max_audio_seconds)
            else:
                decoded = audio_mod.decode_audio(audio, max_seconds=s.max_audio_seconds, max_bytes=s.max_audio_bytes)
            audio_mod.ensure_speech(decoded.samples, s.silence_dbfs)
            return decoded, audio_mod.trim_silence(decoded.samples, floor_dbfs=s.silence_dbfs)

        decoded, speech = await asyncio.to_thread(work)
        timings["audio"] = _ms(start)
        recording = await asyncio.to_thread(self._record, trace, decoded.samples) if record else None
        trace.emit(
            AudioReceived,
            duration_s=round(decoded.duration_s, 3),
            sample_rate=decoded.source_rate,
            channels=decoded.channels,
            speech_s=round(len(speech) / audio_mod.TARGET_RATE, 3),
            ms=timings["audio"],
            recording=recording,
        )
        return speech

    def _record(self, trace: _TurnTrace, samples: np.ndarray) -> str:
        """Keep the caller's audio (as decoded) for replays; the name comes from the validated id."""
        path = session_file(self.settings.audio_dir, trace.session_id, f"-t{trace.turn:04d}-caller.wav")
        atomic_write_bytes(path, audio_mod.encode_wav(samples, audio_mod.TARGET_RATE))
        return path.name

    async def _transcribe(
        self, samples: np.ndarray, trace: _TurnTrace, timings: dict[str, float], known: Transcription | None = None
    ) -> tuple[str, float]:
        start = time.perf_counter()
        result = known if known is not None else await asyncio.to_thread(self.stt.transcribe, samples)
        timings["stt"] = _ms(start)
        event = trace.emit(
            Transcript,
            text=result.text,
            confidence=round(result.confidence, 4),
            ms=timings["stt"],
            backend=self.stt.name,
        )
        if not result.text.strip():
            # Never drop a turn silently: say why there is no answer.
            raise SilentAudioError("no words were recognised in the audio; please speak again")
        return event.text, result.confidence  # type: ignore[union-attr]

    async def _dialog(
        self,
        user_text: str,
        state: SessionState,
        adapter: str | None,
        trace: _TurnTrace,
        timings: dict[str, float],
        speech: SpeechStream,
    ) -> DialogTurn:
        start = time.perf_counter()
        clean = redact(user_text)
        consent = consent_in(clean)
        if consent is not None:
            state.voice_consent = consent
        # The adapter picks the rules dialog's intent classifier, or an LLM backend's served model.
        adapted = await asyncio.to_thread(adapted_dialog, self.dialog, self.settings, adapter)
        dialog = adapted.dialog
        disclose = self.settings.disclosure and not state.dialog.get("disclosed")
        if disclose:
            # Regulators want the AI-and-recording notice before anything else is said;
            # its audio is cached, so it plays while the dialog is still thinking.
            speech.put(AI_DISCLOSURE)
        if consent is not None and is_consent_answer(clean):
            # An answer to the recording question is the pipeline's business, not the dialog's:
            # the dialog's slots and state stay as its last reply left them.
            last = state.history[-1] if state.history else None
            dialog_turn = DialogTurn(
                text=CONSENT_THANKS if consent else CONSENT_DECLINED,
                intent="consent",
                slots=dict(last.slots) if last else {},
                state=(last.state or "start") if last else "start",
                memory=dict(state.dialog),
            )
            speech.put(dialog_turn.text)
        elif isinstance(dialog, StreamingDialog):
            dialog_turn = await asyncio.to_thread(
                functools.partial(dialog.reply_stream, model=adapted.model),
                clean, dict(state.dialog), speech.put_threadsafe,
            )
        else:
            dialog_turn = await asyncio.to_thread(dialog.reply, clean, dict(state.dialog))
            speech.put(dialog_turn.text)
        if disclose:
            dialog_turn = dataclasses.replace(
                dialog_turn,
                text=f"{AI_DISCLOSURE} {dialog_turn.text}",
                memory={**dialog_turn.memory, "disclosed": True},
            )
        timings["dialog"] = _ms(start)
        for call in dialog_turn.llm_calls:
            trace.emit(LLMCall, backend=self.dialog.name, **call)
        for note in dialog_turn.notes:
            trace.emit(
                ErrorEvent, stage="dialog", category=note.category, message=note.message,
                retryable=note.retryable, recovered=True,
            )
        trace.emit(
            DialogReply,
            user_text=clean,
            text=dialog_turn.text,
            intent=dialog_turn.intent,
            slots=dialog_turn.slots,
            state=dialog_turn.state,
            ms=timings["dialog"],
            backend=self.dialog.name,
            figures=dict(dialog_turn.figures),
            source=dialog_turn.source,
            flagged_figures=list(dialog_turn.flagged_figures),
            adapter=adapter,
        )
        return dialog_turn

    def _synthesize_cached(self, text: str, cache: bool) -> tuple[np.ndarray, bool]:
        key = f"{self.tts.name}\x00{text}"
        hit = self._tts_cache.get(key)
        if hit is not None:
            self._tts_cache.move_to_end(key)
            return hit, True
        samples = self.tts.synthesize(text)
        if cache:
            self._tts_cache[key] = samples
            while len(self._tts_cache) > self._tts_cache_size:
                self._tts_cache.popitem(last=False)
        return samples, False

    # -- semantic cache (orchestrator.cache): a hook around the dialog and TTS stages ----------------

    async def _cache_serve(
        self,
        user_text: str,
        state: SessionState,
        adapter: str | None,
        trace: _TurnTrace,
        timings: dict[str, float],
        on_audio_chunk: AudioChunkCallback | None,
        turn_start: float,
    ) -> tuple[TurnLookup | None, tuple[DialogTurn, tuple[np.ndarray, int, float]] | None]:
        """Look the turn up; on a hit, answer it (dialog_reply and TTS events) without the dialog."""
        if self.cache is None:
            return None, None
        start = time.perf_counter()
        lookup = await asyncio.to_thread(
            self.cache.lookup, user_text, state.dialog, adapter, session_id=state.session_id
        )
        if not lookup.hit:
            return lookup, None
        turn = self.cache.answer(lookup, state.dialog)
        timings["dialog"] = _ms(start)
        trace.emit(
            DialogReply, user_text=lookup.probe.question, text=turn.text, intent=turn.intent, slots=turn.slots,
            state=turn.state, ms=timings["dialog"], backend="cache", figures=dict(turn.figures), source="cache",
        )
        tts_start = time.perf_counter()
        rate = self.tts.sample_rate
        samples = await asyncio.to_thread(self.cache.reply_audio, self.tts.name, rate, turn.text)
        if samples is None:  # kept by another worker, or never: speak it as usual
            speech = self._speech_stream(trace, on_audio_chunk)
            try:
                speech.put(turn.text)
                return lookup, (turn, await self._speak(speech, trace, timings, turn_start))
            finally:
                await speech.cancel()
        timings["tts_first_audio"] = timings["tts"] = _ms(tts_start)
        audio_s = round(len(samples) / rate, 3)
        trace.emit(TTSChunk, index=0, text=turn.text, ms=timings["tts"], audio_s=audio_s, cached=True)
        if on_audio_chunk is not None:
            await on_audio_chunk(0, samples, rate)
        trace.emit(
            TTSAudio, first_audio_ms=timings["tts"], total_ms=timings["tts"], audio_s=audio_s, chunks=1,
            sample_rate=rate, backend=self.tts.name,
        )
        return lookup, (turn, (samples, rate, _ms(turn_start)))

    async def _cache_note(
        self,
        lookup: TurnLookup | None,
        state: SessionState,
        trace: _TurnTrace,
        turn: DialogTurn,
        audio: np.ndarray,
        rate: int,
        timings: dict[str, float],
    ) -> None:
        """Emit the turn's ``cache_lookup`` event; on a miss, remember the answer if policy allows."""
        if self.cache is None or lookup is None:
            return
        cost_ms = timings.get("dialog", 0.0) + timings.get("tts", 0.0)
        stored, saved = False, 0.0
        if lookup.hit:
            assert lookup.probe.entry is not None
            saved = round(max(0.0, lookup.probe.entry.cost_ms - cost_ms), 1)
        elif lookup.probe.looked_up:
            stored, _why = await asyncio.to_thread(
                self.cache.remember, lookup, state.dialog, turn, voice=self.tts.name, rate=rate, audio=audio,
                cost_ms=cost_ms,
            )
        trace.emit(CacheLookup, **self.cache.event_fields(lookup), ms_saved=saved, stored=stored)

    def _speech_stream(self, trace: _TurnTrace, on_audio_chunk: AudioChunkCallback | None) -> SpeechStream:
        """A stream that speaks the reply's pieces as the dialog hands them over."""

        def synthesize(piece: str) -> tuple[np.ndarray, bool]:
            return self._synthesize_cached(speakable(piece), piece in self._fixed_pieces)

        async def on_piece(piece: SpokenPiece) -> None:
            trace.emit(
                TTSChunk,
                index=piece.index,
                text=piece.text,
                ms=piece.ms,
                audio_s=round(len(piece.samples) / piece.sample_rate, 3),
                cached=piece.cached,
            )
            if on_audio_chunk is not None:
                await on_audio_chunk(piece.index, piece.samples, piece.sample_rate)

        return SpeechStream(synthesize, lambda: self.tts.sample_rate, on_piece)

    async def _speak(
        self, speech: SpeechStream, trace: _TurnTrace, timings: dict[str, float], turn_start: float
    ) -> tuple[np.ndarray, int, float]:
        """Wait for the last piece; returns the audio, its rate and the first audio's time since turn start."""
        spoken = await speech.finish()
        timings["tts_first_audio"] = spoken.first_audio_ms
        timings["tts"] = spoken.total_ms
        trace.emit(
            TTSAudio,
            first_audio_ms=spoken.first_audio_ms,
            total_ms=spoken.total_ms,
            audio_s=round(len(spoken.audio) / spoken.sample_rate, 3),
            chunks=spoken.chunks,
            sample_rate=spoken.sample_rate,
            backend=self.tts.name,
        )
        first = spoken.first_audio_at
        first_turn_ms = round((first - turn_start) * 1000.0, 1) if first is not None else 0.0
        return spoken.audio, spoken.sample_rate, first_turn_ms

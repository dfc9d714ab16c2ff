"""The chat's voice: replies streamed to the page as they are made; the microphone push-to-talk or hands-free.

Chainlit 2.12 plays ``audio_chunk`` messages (raw PCM16 mono 24 kHz, a new ``track``
for a fresh playback) and stops on ``audio_interrupt``; ``ChainlitAudioOut`` speaks
that protocol through the chat's emitter. ``ChatVoice`` owns the chat's
``ReplyPlayer`` and, while the microphone is open hands-free, a ``RealtimeEngine``
that ends each turn itself (the browser does no voice detection: ``audio_end``
comes only when the microphone is switched off).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from orchestrator.compliance import redact
from orchestrator.pipeline import AudioInput
from orchestrator.realtime import EngineConfig, Heard, RealtimeEngine, ReplyPlayer, SpeechDetector, Utterance
from orchestrator.realtime.call import LiveCall, PieceCallback

if TYPE_CHECKING:
    from orchestrator.ui.session import ChatSession, StepCallback, TurnOutcome

__all__ = ["HANDS_FREE_ID", "ChainlitAudioOut", "ChatVoice", "Emitter", "cut_text", "hands_free_choice", "heard_text"]

HANDS_FREE_ID = "hands_free"  # the chat setting's id
MIC_SAMPLE_RATE = 24_000  # Chainlit 2.12's recorder, whatever config.toml says

OnHeard = Callable[[Utterance], Awaitable[None]]
Render = Callable[["TurnOutcome"], Awaitable[None]]


class Emitter(Protocol):
    """The two calls of Chainlit's emitter the voice uses (``cl.context.emitter``)."""

    async def send_audio_chunk(self, chunk: Any) -> Any:
        """Send one ``OutputAudioChunk``."""
        ...

    async def send_audio_interrupt(self) -> Any:
        """Stop the page's playback."""
        ...


class ChainlitAudioOut:
    """An ``AudioOut`` onto the page's ``WavStreamPlayer``."""

    def __init__(self, emitter: Emitter) -> None:
        self._emitter = emitter

    async def send(self, pcm: bytes, track: str) -> None:
        """One piece of the reply (``cl.OutputAudioChunk`` is this dict; the player ignores ``mimeType``)."""
        await self._emitter.send_audio_chunk({"track": track, "mimeType": "pcm16", "data": pcm})

    async def stop(self) -> None:
        """Stop playback now (the page also drops the rest of that track)."""
        await self._emitter.send_audio_interrupt()


def hands_free_choice(value: object) -> bool | None:
    """The hands-free switch from a settings update (None: not in it)."""
    return value if isinstance(value, bool) else None


def heard_text(utterance: Utterance) -> str:
    """The caller's line for a hands-free turn: what was heard (redacted) and when the turn was ended."""
    how = " · transcript ready from the pause" if utterance.speculative else ""
    verdict = "" if utterance.verdict == "complete" else f" · {utterance.verdict}"
    return (f"🎙️ {redact(utterance.transcript.text)}\n\n"
            f"*turn ended {utterance.delay_ms:.0f} ms after you stopped{verdict}{how}*")


def cut_text(heard: Heard) -> str:
    """The note for a barge-in: how much of the reply the caller heard before cutting in."""
    words = f": “{redact(heard.text)}…”" if heard.text else ""
    return f"✋ You cut in after {heard.ms / 1000:.1f} s of the reply{words}"


class ChatVoice:
    """One chat's speaker and microphone."""

    def __init__(
        self, chat: ChatSession, out: ChainlitAudioOut, detector: SpeechDetector, *, hands_free: bool = True
    ) -> None:
        self.chat = chat
        self.player = ReplyPlayer(out)
        self.hands_free = hands_free
        self._detector = detector
        self._engine: RealtimeEngine | None = None
        self.call: LiveCall | None = None

    @property
    def listening(self) -> bool:
        """True while the microphone is open hands-free."""
        return self._engine is not None

    async def begin_reply(self) -> PieceCallback:
        """Start a reply on a fresh track (stopping one still playing); returns where its pieces go."""
        if self.player.audible():
            await self.player.stop()
        self.player.start_reply()
        return self.piece

    async def piece(self, index: int, samples: np.ndarray, rate: int) -> None:
        """Send one synthesised piece to the page as it is made."""
        await self.player.play(samples, rate, "")

    # -- the microphone -------------------------------------------------------

    def mic_on(
        self, *, on_step: StepCallback, on_heard: OnHeard, render: Render,
        on_cut: Callable[[Heard], Awaitable[None]] | None = None,
    ) -> None:
        """The microphone opened: hands-free, the engine takes the turns; push-to-talk, record until it closes."""
        self.chat.start_recording()
        if not self.hands_free:
            return

        async def run(utterance: Utterance, audio: AudioInput, on_piece: PieceCallback) -> TurnOutcome:
            await on_heard(utterance)
            outcome = await self.chat.run_audio(audio, on_step=on_step, on_audio_chunk=on_piece)
            await render(outcome)
            return outcome

        pipeline = self.chat.pipeline
        self.call = LiveCall(pipeline, self.chat.session_id, self.player, run=run, on_cut=on_cut)
        self._engine = RealtimeEngine(
            self._detector, pipeline.stt, self.call, self.player,
            config=EngineConfig.from_settings(pipeline.settings), input_rate=MIC_SAMPLE_RATE,
        )

    def mic_chunk(self, data: bytes) -> None:
        """One chunk from the microphone."""
        if self._engine is not None:
            self._engine.feed(data)
        else:
            self.chat.add_chunk(data)

    async def mic_off(self, on_step: StepCallback) -> TurnOutcome | None:
        """The microphone closed: hands-free, a turn in progress ends now and the answer plays on (on a fresh
        track: the page has stopped the one playing); push-to-talk, the recording is the turn."""
        engine = self._engine
        if engine is None:
            piece = await self.begin_reply()
            return await self.chat.audio_turn(on_step=on_step, on_audio_chunk=piece)
        self._engine = None
        engine.mic_off()
        await engine.drain()
        await engine.close()
        turn = engine.turn
        if self.player.audible() or (turn is not None and not turn.done()):
            # The page silences its player when its microphone goes off; the answer is no less wanted.
            await self.player.stop()
            await self.player.resume()
        return None

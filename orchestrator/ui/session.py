"""One browser chat: its session id, its microphone buffer, and turn outcomes.

The Chainlit handlers only forward UI events here and render what comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from orchestrator.errors import VoicebotError
from orchestrator.events import Event
from orchestrator.pipeline import AudioInput, Pipeline, TurnResult
from orchestrator.realtime import SpeechDetector
from orchestrator.realtime.call import PieceCallback
from orchestrator.sessions.ids import new_session_id
from orchestrator.trace import EventBus
from orchestrator.turnview import TurnView
from orchestrator.ui.present import StepView, steps_for, view_steps
from orchestrator.ui.schedule import ScheduleView, schedule_view
from orchestrator.ui.voice import ChainlitAudioOut, ChatVoice, Emitter

__all__ = ["MIC_SAMPLE_RATE", "ChatSession", "StepCallback", "TurnOutcome"]

StepCallback = Callable[[StepView], Awaitable[None]]

# Chainlit 2.12 streams the microphone as mono int16 at 24 kHz, whatever config.toml says.
MIC_SAMPLE_RATE = 24_000

WELCOME = (
    "**VoiceBot Workbench** is ready. Type a message, or click the microphone and speak. "
    "Try: *I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.*\n\n"
    "Regression scenarios: click one below (▶ typed, 🔊 spoken), or type `/scenarios` for the full list."
)


@dataclass
class TurnOutcome:
    """What the UI renders for one turn: steps plus the reply, or a friendly error."""

    steps: list[StepView]
    reply: str | None = None
    wav: bytes | None = None
    error: str | None = None
    result: TurnResult | None = field(default=None, repr=False)
    # True when the steps were already handed to the UI one by one while the turn ran.
    streamed: bool = False
    # The quote's amortization table and balance chart, when the reply quoted a loan.
    schedule: ScheduleView | None = field(default=None, repr=False)
    # True when the reply's voice already went to the page piece by piece (the WAV is then for replay only).
    spoken: bool = False


class ChatSession:
    """State of one browser chat.

    With a ``bus`` and an ``on_step`` callback, each stage's step is handed to
    the UI as soon as its event is published, while the turn is still running.
    """

    def __init__(self, pipeline: Pipeline, session_id: str | None = None, bus: EventBus | None = None) -> None:
        self.pipeline = pipeline
        self.session_id = session_id or new_session_id()
        self._bus = bus
        self._recording = bytearray()
        self._max_bytes = int(pipeline.settings.max_audio_seconds * MIC_SAMPLE_RATE * 2)
        self._overflow = False
        self.voice: ChatVoice | None = None  # the page's speaker and microphone, once attached

    def attach_voice(self, emitter: Emitter, detector: SpeechDetector, *, hands_free: bool = True) -> ChatVoice:
        """Stream replies to the page through ``emitter``; ``hands_free`` lets the server end spoken turns."""
        self.voice = ChatVoice(self, ChainlitAudioOut(emitter), detector, hands_free=hands_free)
        return self.voice

    @property
    def welcome(self) -> str:
        """The first message of the chat."""
        return WELCOME

    def start_recording(self) -> None:
        """Forget any previous recording."""
        self._recording.clear()
        self._overflow = False

    def add_chunk(self, data: bytes) -> None:
        """Append one pcm16 chunk; past the duration limit, remember the overflow instead."""
        if len(self._recording) + len(data) > self._max_bytes:
            self._overflow = True
            return
        self._recording.extend(data)

    async def audio_turn(
        self, on_step: StepCallback | None = None, on_audio_chunk: PieceCallback | None = None
    ) -> TurnOutcome:
        """Run a turn on what the microphone recorded."""
        if self._overflow:
            limit = self.pipeline.settings.max_audio_seconds
            self.start_recording()
            message = f"That recording is longer than the {limit:.0f} s limit. Please keep it shorter."
            return TurnOutcome(steps=[], error=message)
        pcm = bytes(self._recording)
        self.start_recording()
        return await self.run_audio(AudioInput(pcm=pcm, sample_rate=MIC_SAMPLE_RATE), on_step, on_audio_chunk)

    async def run_audio(
        self, audio: AudioInput, on_step: StepCallback | None = None, on_audio_chunk: PieceCallback | None = None
    ) -> TurnOutcome:
        """Run a turn on microphone audio (a push-to-talk recording or a hands-free utterance)."""
        return await self._run(on_step, on_audio_chunk, audio=audio)

    async def file_turn(self, path: Path, on_step: StepCallback | None = None) -> TurnOutcome:
        """Run a turn on an uploaded audio file; its reply streams to the page when a voice is attached."""
        return await self._run(on_step, await self._speaker(), audio=path)

    async def text_turn(self, text: str, on_step: StepCallback | None = None) -> TurnOutcome:
        """Run a turn on typed text; its reply streams to the page when a voice is attached."""
        return await self._run(on_step, await self._speaker(), text=text)

    async def _speaker(self) -> PieceCallback | None:
        return await self.voice.begin_reply() if self.voice is not None else None

    async def _run(self, on_step: StepCallback | None, on_audio_chunk: PieceCallback | None,
                   **kwargs: Any) -> TurnOutcome:
        voiced = asyncio.Event()  # the reply's first piece has gone to the page
        if on_audio_chunk is not None:
            speak = on_audio_chunk

            async def first_then_rest(index: int, samples: Any, rate: int) -> None:
                await speak(index, samples, rate)
                voiced.set()

            kwargs["on_audio_chunk"] = first_then_rest
        else:
            voiced.set()
        live = on_step is not None and self._bus is not None
        shown: list[StepView] = []
        try:
            if on_step is not None and live:
                result = await self._run_live(on_step, shown, kwargs, voiced)
            else:
                result = await self.pipeline.run_turn(self.session_id, **kwargs)
        except VoicebotError as exc:
            steps = shown if live else steps_for(list(exc.turn_events))
            return TurnOutcome(steps=steps, error=exc.message, streamed=live)
        except Exception:  # keep the app serving whatever happened
            logger.exception("turn failed unexpectedly in session {}", self.session_id)
            return TurnOutcome(steps=shown, error="Something went wrong on our side; the turn was not completed.",
                               streamed=live)
        steps = shown if live else steps_for(result.events)
        schedule = None
        if "payment" in result.figures:
            schedule = await asyncio.to_thread(schedule_view, result.slots)
        return TurnOutcome(
            steps=steps, reply=result.reply, wav=result.wav_bytes(), result=result, streamed=live, schedule=schedule,
            spoken=on_audio_chunk is not None,
        )

    async def _run_live(self, on_step: StepCallback, shown: list[StepView], kwargs: dict[str, Any],
                        voiced: asyncio.Event) -> TurnResult:
        """Run the turn while forwarding each completed step from the bus to ``on_step``.

        Steps wait for the reply's first piece to reach the page: drawing them keeps the page's
        main thread (and the other core) busy, and the caller waits for the voice, not the trace."""
        assert self._bus is not None
        queue, unsubscribe = self._bus.queue(self.session_id)
        view = TurnView()

        async def forward(event: Event) -> None:
            if not voiced.is_set() and not turn.done():
                waiting = asyncio.ensure_future(voiced.wait())
                await asyncio.wait({waiting, turn}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
            view.add(event)
            for step in view_steps(view)[len(shown):]:
                shown.append(step)
                await on_step(step)

        turn = asyncio.create_task(self.pipeline.run_turn(self.session_id, **kwargs))
        try:
            while not turn.done():
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({turn, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await forward(getter.result())
                else:
                    getter.cancel()
            await asyncio.sleep(0)  # let events published just before the end arrive
            while not queue.empty():
                await forward(queue.get_nowait())
        except asyncio.CancelledError:  # a barge-in: the turn itself is cut, and ends as cut
            turn.cancel()
            await asyncio.wait({turn})
            raise
        finally:
            unsubscribe()
        return turn.result()

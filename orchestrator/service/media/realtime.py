"""Server-side endpointing on the media socket: the browser's real-time engine as the call's turn driver.

``ServerEndpointing`` wires one call to the same ``RealtimeEngine``, ``LiveCall``
and ``ReplyPlayer`` that the browser's hands-free microphone and ``voicebot turn
--realtime`` use: Silero VAD and the turn-completion check end the caller's turn,
the transcript is made speculatively during the pause, and speech over the bot's
reply stops it. Only the two ends are the socket's own: the caller's 8 kHz
μ-law goes into the engine, and ``PhoneOut`` (the player's ``AudioOut``) sends
each reply piece back as 20 ms μ-law ``media`` frames and a ``mark``, and a
stop as ``clear``. Each turn runs through ``ServiceState.run_turn``, like a
REST turn: the session lock, the reply audio and the admission queue apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from loguru import logger

from orchestrator.audio import pcm16_bytes, pcm16_samples
from orchestrator.errors import VoicebotError
from orchestrator.pipeline import AudioInput, TurnResult
from orchestrator.realtime import EngineConfig, RealtimeEngine, ReplyPlayer, SpeechDetector, Utterance
from orchestrator.realtime.call import LiveCall, PieceCallback
from orchestrator.realtime.playback import PLAYER_RATE
from orchestrator.service.media import mulaw
from orchestrator.service.problems import ServiceProblemError
from orchestrator.service.state import ServiceState

__all__ = ["PhoneLine", "PhoneOut", "ServerEndpointing"]


class PhoneLine(Protocol):
    """What the socket offers the driver: the bot's audio out, a clear, and the call's figures."""

    async def send_audio(self, audio: bytes, mark: str, dropped: Callable[[], bool]) -> float | None:
        """Send μ-law ``audio`` as 20 ms frames, then ``mark``; stop early once ``dropped()``.

        Returns the clock time (``time.monotonic``) the first frame went, None if none did."""
        ...

    async def clear(self) -> None:
        """Tell the gateway to drop every frame it has not played (``clear``)."""
        ...

    def turn_done(self, ok: bool, voice_to_voice_ms: float | None) -> None:
        """Count a finished turn (and its endpointed voice-to-voice, when its reply was heard)."""
        ...


class PhoneOut:
    """The reply player's far end on a phone line: μ-law frames and marks out, ``clear`` on a stop."""

    def __init__(self, line: PhoneLine) -> None:
        self._line = line
        self._epoch = 0  # bumped by each stop: a piece still being sent stops at its next frame
        self._pieces: dict[str, int] = {}
        self.first_frame: dict[str, float] = {}  # track -> clock time its first frame went

    async def send(self, pcm: bytes, track: str) -> None:
        """One piece (PCM16 mono 24 kHz) as 8 kHz μ-law frames, then a mark named ``<track>-<n>``."""
        epoch = self._epoch
        audio = await asyncio.to_thread(mulaw.to_phone, pcm16_samples(pcm), PLAYER_RATE)
        index = self._pieces[track] = self._pieces.get(track, -1) + 1
        sent = await self._line.send_audio(audio, f"{track}-{index}", lambda: self._epoch != epoch)
        if sent is not None:
            self.first_frame.setdefault(track.split("~")[0], sent)

    async def stop(self) -> None:
        """The caller barged in: stop sending and have the gateway drop what it holds."""
        self._epoch += 1
        await self._line.clear()


class ServerEndpointing:
    """A ``TurnDriver`` backed by ``RealtimeEngine``: the server decides when the caller's turn ends."""

    def __init__(self, line: PhoneLine, state: ServiceState, session_id: str, detector: SpeechDetector) -> None:
        pipeline = state.require_pipeline()
        self._state = state
        self._line = line
        self.session_id = session_id
        self.out = PhoneOut(line)
        self.player = ReplyPlayer(self.out)
        self.call = LiveCall(pipeline, session_id, self.player, run=self._run)
        self.engine = RealtimeEngine(
            detector, pipeline.stt, self.call, self.player, config=EngineConfig.from_settings(pipeline.settings),
            input_rate=mulaw.PHONE_RATE,
        )

    async def on_audio(self, samples: np.ndarray, rate: int) -> None:
        """Caller audio into the engine (it takes int16 PCM at the phone's 8 kHz)."""
        self.engine.feed(pcm16_bytes(samples))

    async def on_caller_mark(self, name: str) -> None:
        """A gateway mark does not end the turn here: the server endpoints (``endpointing=gateway`` lets it)."""
        logger.debug("media call {}: caller mark {!r} ignored under server endpointing", self.session_id, name)

    async def on_stop(self) -> None:
        """The stream ended: words still open make a turn, and every turn is let finish."""
        self.engine.mic_off()
        await self.close()

    async def close(self) -> None:
        """Stop listening; turns under way finish (and are recorded) even if nobody hears them."""
        await self.engine.drain()
        await self.engine.close()
        pending = [t.task for t in self.call.turns if t.task is not None and not t.task.done()]
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, utterance: Utterance, audio: AudioInput, on_piece: PieceCallback) -> Any:
        track = self.player.track or ""
        try:
            result: TurnResult = await self._state.run_turn(self.session_id, audio=audio, on_audio_chunk=on_piece)
        except (VoicebotError, ServiceProblemError) as exc:
            # The turn's error event says why; the call goes on with the next utterance.
            logger.info("media call {}: turn failed: {}", self.session_id, exc)
            self._line.turn_done(False, None)
            return "failed"
        first = self.out.first_frame.get(track.split("~")[0])
        # From the end of speech as it arrived to the first reply frame out: the stop delay included.
        v2v = round((first - utterance.end_at) * 1000.0, 1) if first is not None else None
        self._line.turn_done(True, v2v)
        return result

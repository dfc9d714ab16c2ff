"""One call on the media WebSocket: authenticate, take the caller's audio, speak the replies, keep the marks.

Lifecycle: ``connected`` -> ``start`` (the key, if not on the upgrade, and
the session id in ``customParameters``) -> ``media``/``mark`` ... ->
``stop``. The turn driver decides when a turn ends. By default it is the
server's: ``ServerEndpointing`` (``media.realtime``), the browser's real-time
engine. ``customParameters.endpointing = "gateway"`` (or
``VOICEBOT_MEDIA_ENDPOINTING=gateway``) picks ``ExplicitEndpointing``
(``media.driver``) for gateways that endpoint themselves: a gateway mark
ends the turn. Either way each turn runs through ``ServiceState.run_turn``,
so it is the same turn as the REST API's, saved and traced the same way.
Each spoken piece goes back as 20 ms ``media`` frames followed by a
``mark``; ``clear`` drops what has not played when the caller barges in.

Close codes: 1008 for a missing, wrong or insufficient key; 1013 while the
models load or past the rate limit; 1003 for audio that is not 8 kHz μ-law;
1007 for a malformed message or session id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from loguru import logger
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from orchestrator.errors import InvalidSessionIdError, VoicebotError
from orchestrator.pipeline import AudioInput
from orchestrator.runtime import load_vad
from orchestrator.service.auth import authenticate, bearer_key
from orchestrator.service.keys import Principal
from orchestrator.service.media import mulaw
from orchestrator.service.media.driver import ExplicitEndpointing, TurnDriver
from orchestrator.service.media.protocol import (
    MU_LAW,
    Connected,
    Dtmf,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    clear_message,
    mark_message,
    media_message,
    parse_message,
)
from orchestrator.service.problems import ServiceProblemError
from orchestrator.service.state import ServiceState
from orchestrator.sessions.ids import new_session_id, validate_session_id

__all__ = ["ENDPOINTING", "CallStats", "MediaCall"]

ENDPOINTING = ("server", "gateway")  # customParameters.endpointing: who ends the caller's turn

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law, the frame telephony gateways play
_CLOSE_POLICY, _CLOSE_RETRY_LATER, _CLOSE_UNSUPPORTED, _CLOSE_BAD_DATA = 1008, 1013, 1003, 1007


class _RefusedError(Exception):
    """Close the socket with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class CallStats:
    """What the call did, for logs and tests."""

    turns: int = 0
    failed_turns: int = 0
    clears: int = 0
    marks_sent: int = 0
    marks_played: int = 0
    # End of the caller's utterance (server endpointing: of their speech) to the first reply audio sent (ms).
    voice_to_voice_ms: list[float] = field(default_factory=list)


class MediaCall:
    """The call on one accepted socket."""

    def __init__(self, websocket: WebSocket, state: ServiceState) -> None:
        self.ws = websocket
        self.state = state
        self.driver: TurnDriver | None = None  # chosen at ``start``
        self.endpointing = ""
        self.stats = CallStats()
        self.session_id: str | None = None
        self.stream_sid = ""
        self.principal: Principal | None = None
        self._send_lock = asyncio.Lock()
        self._turns: asyncio.Queue[tuple[AudioInput, float] | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._unplayed: set[str] = set()
        self._reply = 0
        self._muted_reply = -1  # the reply whose remaining audio a barge-in dropped

    # -- what the driver may do ----------------------------------------------------------

    @property
    def bot_speaking(self) -> bool:
        """A reply is being made, or some of its audio has not played yet."""
        return self._in_flight > 0 or bool(self._unplayed)

    async def end_of_turn(self, utterance: AudioInput) -> None:
        """Queue a turn on the utterance (turns run one after another)."""
        self._in_flight += 1
        await self._turns.put((utterance, time.monotonic()))

    async def barge_in(self) -> None:
        """Drop the bot audio not yet played and stop sending the current reply."""
        self._muted_reply = self._reply
        await self.clear()

    # -- what the server's endpointing uses (``media.realtime.PhoneLine``) -------------------------

    async def send_audio(self, audio: bytes, mark: str, dropped: Callable[[], bool]) -> float | None:
        """Send μ-law ``audio`` as 20 ms ``media`` frames, then ``mark``; stop once ``dropped()``.

        Returns the clock time (``time.monotonic``) the first frame went, None if none did."""
        first: float | None = None
        for start in range(0, len(audio), FRAME_BYTES):
            if dropped():
                return first
            await self._send(media_message(self.stream_sid, audio[start:start + FRAME_BYTES]))
            if first is None:
                first = time.monotonic()
        self._unplayed.add(mark)
        self.stats.marks_sent += 1
        await self._send(mark_message(self.stream_sid, mark))
        return first

    async def clear(self) -> None:
        """Have the gateway drop every frame it has not played."""
        self._unplayed.clear()
        self.stats.clears += 1
        await self._send(clear_message(self.stream_sid))

    def turn_done(self, ok: bool, voice_to_voice_ms: float | None) -> None:
        """Count one finished turn."""
        if ok:
            self.stats.turns += 1
        else:
            self.stats.failed_turns += 1
        if voice_to_voice_ms is not None:
            self.stats.voice_to_voice_ms.append(voice_to_voice_ms)

    # -- the socket ------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the call until the gateway stops it or goes away."""
        header = bearer_key(self.ws.headers.get("authorization"))
        try:
            if header is not None:
                self.principal = self._authenticate(header)
            self._worker = asyncio.create_task(self._run_turns())
            await self._receive()
        except _RefusedError as refused:
            await self._close(refused.code, refused.reason)
        except WebSocketDisconnect:
            pass
        finally:
            await self._finish()

    async def _receive(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                raise _RefusedError(_CLOSE_BAD_DATA, "messages are JSON text frames")
            try:
                parsed = parse_message(text)
            except ProtocolError as exc:
                raise _RefusedError(_CLOSE_BAD_DATA, str(exc)[:120]) from None
            if isinstance(parsed, Stop):
                driver = await self._need_start()
                await driver.on_stop()
                self.driver = None  # it has finished
                return
            await self._handle(parsed)

    async def _handle(self, message: Connected | Start | Media | Mark | Dtmf) -> None:
        if isinstance(message, Connected | Dtmf):
            return
        if isinstance(message, Start):
            await self._start(message)
            return
        driver = await self._need_start()
        if isinstance(message, Media):
            if message.media.track not in ("inbound", "inbound_track"):
                return
            try:
                audio = message.media.audio()
            except ProtocolError as exc:
                raise _RefusedError(_CLOSE_BAD_DATA, str(exc)) from None
            await driver.on_audio(mulaw.decode(audio), mulaw.PHONE_RATE)
        elif message.mark.name in self._unplayed:
            self._unplayed.discard(message.mark.name)
            self.stats.marks_played += 1
        elif not message.mark.name.startswith("reply-"):  # a late echo of a cleared mark is no utterance
            await driver.on_caller_mark(message.mark.name)

    async def _need_start(self) -> TurnDriver:
        if self.driver is None:
            raise _RefusedError(_CLOSE_BAD_DATA, "'start' must come before media, marks and stop")
        return self.driver

    async def _start(self, message: Start) -> None:
        if self.session_id is not None:
            raise _RefusedError(_CLOSE_BAD_DATA, "'start' was already sent")
        info = message.start
        params = info.custom_parameters
        if self.principal is None:
            self.principal = self._authenticate(params.get("api_key"))
        fmt = info.media_format
        if fmt.encoding != MU_LAW or fmt.sample_rate != mulaw.PHONE_RATE or fmt.channels != 1:
            raise _RefusedError(_CLOSE_UNSUPPORTED, f"send {MU_LAW} at 8000 Hz mono")
        if not self.state.ready:
            raise _RefusedError(_CLOSE_RETRY_LATER, "the models are still loading; call again shortly")
        wanted = params.get("session_id") or params.get("sessionId")
        try:
            if wanted is not None:
                self.session_id = validate_session_id(wanted)
            elif info.call_sid is not None:
                self.session_id = validate_session_id(info.call_sid)
            else:
                self.session_id = new_session_id()
        except InvalidSessionIdError as exc:
            raise _RefusedError(_CLOSE_BAD_DATA, exc.message[:120]) from None
        self.stream_sid = message.stream_sid or info.stream_sid or self.session_id
        self.endpointing = params.get("endpointing", self.state.settings.media_endpointing).strip().lower()
        if self.endpointing not in ENDPOINTING:
            raise _RefusedError(_CLOSE_BAD_DATA, "customParameters.endpointing is 'server' or 'gateway'")
        self.driver = self._driver()

    def _driver(self) -> TurnDriver:
        assert self.session_id is not None
        if self.endpointing == "gateway":
            return ExplicitEndpointing(self, max_seconds=self.state.settings.max_audio_seconds)
        from orchestrator.service.media.realtime import ServerEndpointing  # imports the engine (onnxruntime)

        try:
            detector = load_vad(self.state.settings)
        except VoicebotError as exc:
            logger.error("media call: the voice-activity detector cannot start: {}", exc.message)
            raise _RefusedError(_CLOSE_RETRY_LATER, "server endpointing is unavailable; use endpointing=gateway"
                                ) from None
        return ServerEndpointing(self, self.state, self.session_id, detector)

    def _authenticate(self, key: str | None) -> Principal:
        try:
            return authenticate(self.state, key, "caller")
        except ServiceProblemError as problem:
            code = _CLOSE_RETRY_LATER if problem.status == 429 else _CLOSE_POLICY
            raise _RefusedError(code, problem.detail[:120]) from None

    # -- turns -----------------------------------------------------------------------------------

    async def _run_turns(self) -> None:
        while (item := await self._turns.get()) is not None:
            utterance, ended_at = item
            try:
                await self._turn(utterance, ended_at)
            finally:
                self._in_flight -= 1

    async def _turn(self, utterance: AudioInput, ended_at: float) -> None:
        assert self.session_id is not None
        self._reply += 1
        reply = self._reply
        first_sent: list[float] = []

        async def speak(index: int, samples: np.ndarray, rate: int) -> None:
            if self._muted_reply == reply:
                return
            audio = await asyncio.to_thread(mulaw.to_phone, samples, rate)
            sent = await self.send_audio(audio, f"reply-{reply}-{index}", lambda: self._muted_reply == reply)
            if sent is not None and not first_sent:
                first_sent.append(sent)

        try:
            await self.state.run_turn(self.session_id, audio=utterance, on_audio_chunk=speak)
        except (VoicebotError, ServiceProblemError) as exc:
            # The turn's error event says why; the call goes on with the next utterance.
            logger.info("media call {}: turn failed: {}", self.session_id, exc)
            self.turn_done(False, None)
            return
        self.turn_done(True, round((first_sent[0] - ended_at) * 1000.0, 1) if first_sent else None)

    # -- plumbing ---------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the gateway hung up meanwhile
                await self.ws.send_json(message)

    async def _finish(self) -> None:
        """Let every queued turn complete (nothing the caller said is lost), then close."""
        if self.driver is not None:  # the gateway went away without ``stop``
            with contextlib.suppress(Exception):
                await self.driver.close()
        if self._worker is not None:
            await self._turns.put(None)
            with contextlib.suppress(Exception):
                await self._worker
        await self._close(1000, "call ended")

    async def _close(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.ws.close(code=code, reason=reason)

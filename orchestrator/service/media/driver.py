"""Turn drivers: what decides, from the caller's audio and marks, that a turn has ended (or was interrupted).

A driver sees every piece of caller audio and every mark the gateway sends
that the bot did not; it calls ``CallControl.end_of_turn`` with the
utterance and ``CallControl.barge_in`` when the caller talks over the bot.

``ExplicitEndpointing`` is the driver for gateways that endpoint themselves
(``customParameters.endpointing = "gateway"``): a gateway mark ends the
utterance, and ``stop`` ends the last one. The default driver is
``media.realtime.ServerEndpointing``, the browser's real-time engine
(server-side endpointing, speculative STT, barge-in on speech).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from orchestrator.pipeline import AudioInput

__all__ = ["CallControl", "ExplicitEndpointing", "TurnDriver"]


class CallControl(Protocol):
    """What a driver may do to the call."""

    @property
    def bot_speaking(self) -> bool:
        """True while a reply is being made or its audio has not all played."""
        ...

    async def end_of_turn(self, utterance: AudioInput) -> None:
        """Run a turn on the caller's utterance (returns once it has started)."""
        ...

    async def barge_in(self) -> None:
        """The caller talks over the bot: drop the reply's unplayed audio (``clear``)."""
        ...


class TurnDriver(Protocol):
    """Endpointing for one call."""

    async def on_audio(self, samples: np.ndarray, rate: int) -> None:
        """Caller audio (float32 mono at ``rate``), in arrival order."""
        ...

    async def on_caller_mark(self, name: str) -> None:
        """A mark from the gateway that is not an echo of the bot's own."""
        ...

    async def on_stop(self) -> None:
        """The stream ended; a turn still open should be run now."""
        ...

    async def close(self) -> None:
        """The gateway went away without ``stop``: stop listening (turns under way still finish)."""
        ...


class ExplicitEndpointing:
    """Buffers the caller's audio; a gateway mark (or ``stop``) ends the utterance."""

    def __init__(self, call: CallControl, *, max_seconds: float) -> None:
        self.call = call
        self.max_seconds = max_seconds
        self._pcm: list[bytes] = []
        self._samples = 0
        self._rate = 0

    def _utterance(self) -> AudioInput | None:
        if not self._pcm:
            return None
        utterance = AudioInput(pcm=b"".join(self._pcm), sample_rate=self._rate)
        self._pcm, self._samples = [], 0
        return utterance

    async def on_audio(self, samples: np.ndarray, rate: int) -> None:
        """Keep the audio as int16 PCM (up to the turn limit plus a second, so too long is still reported)."""
        self._rate = rate
        if self._samples > (self.max_seconds + 1.0) * rate:
            return
        self._pcm.append((np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
        self._samples += len(samples)

    async def on_caller_mark(self, name: str) -> None:
        """End of utterance: interrupt the bot if it is still talking, then run the turn."""
        utterance = self._utterance()
        if utterance is None:
            return
        if self.call.bot_speaking:
            await self.call.barge_in()
        await self.call.end_of_turn(utterance)

    async def on_stop(self) -> None:
        """The caller's last words still make a turn (it is recorded even if nobody hears the reply)."""
        utterance = self._utterance()
        if utterance is not None:
            await self.call.end_of_turn(utterance)

    async def close(self) -> None:
        """Audio with no mark after it is dropped: the gateway hung up before the caller's turn ended."""
        self._pcm, self._samples = [], 0

"""The real-time voice engine: caller audio in, endpointed turns and barge-ins out.

One class drives every live face (the browser's open microphone, ``voicebot turn
--realtime``, a telephony media socket). Its interface is small:

* ``feed(pcm)`` a chunk of caller audio (mono int16 at ``input_rate``), any size;
* ``mic_off()`` when the caller's microphone is switched off (ends a pending turn);
* events go out through ``Conversation.emit``; a finished utterance goes to
  ``Conversation.start_turn``; a barge-in stops the ``ReplyPlayer``, cancels the
  running turn and tells ``Conversation.cut_turn`` what was heard.

How a turn ends: Silero VAD marks each 32 ms window voiced or not. When the
caller's voice stops, speech-to-text starts at once on the audio so far (the
speculation), so the transcript is ready when the stop delay runs out; if the
voice comes back, that work is dropped. When the silence reaches
``stop_ms`` the transcript is judged (``judge.turn_completion``): a finished-sounding
turn ends there, one left mid-thought waits up to ``hold_ms``. A caller who goes on
soon after the endpoint calls that turn off (the dialog keeps its state) and the
words join one utterance, so a pause never splits a question.

Every decision is taken on stream time (samples received), never on the wall
clock, so a stream fed faster than real time gets the same decisions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
from loguru import logger

from orchestrator.audio import TARGET_RATE, StreamResampler, pcm16_samples
from orchestrator.realtime.base import Conversation, EngineConfig, TurnHandle, Utterance
from orchestrator.realtime.judge import sounds_like_backchannel, turn_completion
from orchestrator.realtime.playback import Heard, ReplyPlayer
from orchestrator.realtime.segment import Segment, Spec
from orchestrator.realtime.tape import Tape
from orchestrator.realtime.vad import WINDOW, SpeechDetector
from orchestrator.stt.base import STT, Transcription
from orchestrator.turn import listening

__all__ = ["RealtimeEngine"]


def _ms(samples: int) -> float:
    return round(samples * 1000.0 / TARGET_RATE, 1)


def _samples(ms: float) -> int:
    return round(ms * TARGET_RATE / 1000.0)


class RealtimeEngine:
    """Endpointing, speculative STT and barge-in over one caller's audio stream."""

    def __init__(
        self,
        detector: SpeechDetector,
        stt: STT,
        conversation: Conversation,
        player: ReplyPlayer,
        *,
        config: EngineConfig | None = None,
        input_rate: int = 24_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or EngineConfig()
        self._vad = detector.stream()
        self._stt = stt
        self._talk = conversation
        self._player = player
        self._clock = clock
        self._resampler = StreamResampler(input_rate, TARGET_RATE)
        # (pcm, arrival) chunks; pcm None: the microphone went off; None: close.
        self._queue: asyncio.Queue[tuple[bytes | None, float] | None] = asyncio.Queue()
        self._tape = Tape()
        self._windows = 0  # windows judged so far; window k ends at sample (k + 1) * WINDOW
        self._arrived = (0, clock())  # (tape end, clock) of the latest chunk
        self._seg: Segment | None = None
        self._last: Segment | None = None  # the segment the running turn answers
        self._last_endpoint_at = 0.0  # clock time of its endpoint
        self._turn: TurnHandle | None = None
        self._spec: Spec | None = None
        self._stt_lock = asyncio.Lock()
        self._worker: asyncio.Task[None] | None = None

    # -- the interface ------------------------------------------------------

    def feed(self, pcm: bytes) -> None:
        """Queue one chunk of caller audio (mono int16 little-endian at ``input_rate``)."""
        if pcm:
            self._queue.put_nowait((pcm, self._clock()))
            self._ensure_worker()

    def mic_off(self) -> None:
        """The caller's microphone went off: a turn in progress ends now."""
        self._queue.put_nowait((None, self._clock()))
        self._ensure_worker()

    async def drain(self) -> None:
        """Wait until every chunk fed so far has been processed (tests, the CLI)."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop processing (a running turn carries on: it belongs to the conversation)."""
        if self._worker is not None and not self._worker.done():
            self._queue.put_nowait(None)
            await self._worker

    @property
    def idle(self) -> bool:
        """Nothing waiting to be heard: no chunk queued, no utterance open."""
        return self._seg is None and self._queue.empty()

    @property
    def turn(self) -> TurnHandle | None:
        """The turn the engine started last (None before the first)."""
        return self._turn

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            try:
                pcm, arrived = item
                if pcm is None:
                    await self._mic_off()
                else:
                    await self._chunk(pcm, arrived)
            except Exception:  # one bad chunk must not end the caller's stream
                logger.exception("real-time engine failed on a chunk; carrying on")
            finally:
                self._queue.task_done()
        self._queue.task_done()

    # -- per chunk and per window ----------------------------------------------

    async def _chunk(self, pcm: bytes, arrived: float) -> None:
        samples = self._resampler.push(pcm16_samples(pcm))
        self._tape.append(samples)
        self._arrived = (self._tape.end, arrived)
        for prob in self._vad.probabilities(samples):
            self._windows += 1
            await self._window(float(prob), self._windows * WINDOW)

    def _at(self, index: int) -> float:
        """Clock time the sample at ``index`` arrived (from the latest chunk's arrival)."""
        end, arrived = self._arrived
        return arrived - (end - index) / TARGET_RATE

    async def _window(self, prob: float, end: int) -> None:
        cfg = self.config
        seg = self._seg
        voiced = prob >= (cfg.off_threshold if seg is not None and seg.in_voice else cfg.on_threshold)
        if voiced:
            if seg is None:
                seg = self._seg = await self._open(end)
            elif seg.silence:
                self._resumed(seg)
            seg.in_voice, seg.silence, seg.last_voice = True, 0, end
            seg.voiced += WINDOW
            if seg.barge and not seg.confirmed:
                await self._barge_progress(seg)
            if _ms(end - seg.start) >= cfg.max_utterance_ms:
                await self._endpoint(seg, "max_length", cfg.stop_ms)
            return
        if seg is None:
            keep = end - WINDOW
            # Keep the last utterance's audio while new speech could still join it.
            if self._last is not None and (self._may_join() or (self._turn_running()
                                                               and self._within_join(self._clock()))):
                keep = min(keep, self._last.start)
            self._tape.forget_before(keep - _samples(cfg.preroll_ms))
            return
        seg.in_voice = False
        seg.silence += WINDOW
        if not seg.spec_asked and _ms(seg.silence) >= cfg.speculate_ms and self._worth_words(seg):
            self._speculate(seg)
        if _ms(seg.silence) >= cfg.stop_ms:
            await self._pause(seg)

    def _turn_running(self) -> bool:
        return self._turn is not None and not self._turn.done()

    def _within_join(self, at: float) -> bool:
        return at - self._last_endpoint_at <= self.config.join_ms / 1000.0

    def _may_join(self) -> bool:
        """Would speech now join the last utterance? (Its turn runs, and the bot has said nothing yet.)"""
        return self._turn_running() and self._last is not None and self._player.sent_ms() == 0

    async def _open(self, end: int) -> Segment:
        start = end - WINDOW
        turn, last = self._turn, self._last
        if self._may_join() and turn is not None and last is not None:
            self._talk.call_off_turn()  # the caller went on before the bot said a word: that endpoint was too soon
            turn.cancel()
            self._turn = None
            last.pauses += 1
            last.decision, last.spec_asked = None, False
            return last
        speaking = self._player.audible() or (turn is not None and not turn.done() and self._player.sent_ms() > 0)
        seg = Segment(start=start, last_voice=end, onset_at=self._at(start), barge=speaking)
        if speaking and last is not None and self._turn_running() and self._within_join(seg.onset_at):
            # It may join the answer being made (told only once it is judged a barge-in, at the pause):
            # that turn must not save its outcome meanwhile, or a call-off would come too late.
            seg.holds = True
            self._talk.hold_turn(True)
        return seg

    def _resumed(self, seg: Segment) -> None:
        seg.pauses += 1
        seg.decision, seg.spec_asked = None, False
        spec = self._spec
        if spec is not None and spec.segment is seg:
            self._spec = None
            finished = spec.task.done() and not spec.task.cancelled() and spec.task.exception() is None
            self._talk.emit(listening.speculation(
                "speech_resumed", stt_ms=spec.task.result()[1] if finished else None,
                audio_ms=_ms(spec.covers - seg.start),
            ))

    # -- speech-to-text ----------------------------------------------------------

    def _audio(self, seg: Segment, until: int) -> np.ndarray:
        cfg = self.config
        return self._tape.slice(seg.start - _samples(cfg.preroll_ms), until + _samples(cfg.pad_ms))

    def _speculate(self, seg: Segment, *, during_pause: bool = True) -> Spec:
        covers = seg.last_voice
        audio = self._audio(seg, covers)
        if self._spec is not None and self._spec.segment is seg and not self._spec.task.done():
            self._talk.emit(listening.speculation("superseded", audio_ms=_ms(self._spec.covers - seg.start)))
        seg.spec_asked = True
        task = asyncio.create_task(self._transcribe(audio, lambda: self._spec is not None and self._spec.task is task))
        self._spec = Spec(seg, covers, task, during_pause)
        return self._spec

    async def _transcribe(self, audio: np.ndarray, wanted: Callable[[], bool]) -> tuple[Transcription, float]:
        async with self._stt_lock:  # one model: runs queue rather than fight for the cores
            if not wanted():  # dropped while queued (the voice came back, or a longer run replaced it)
                raise asyncio.CancelledError
            start = time.perf_counter()
            result = await asyncio.to_thread(self._stt.transcribe, audio)
            return result, round((time.perf_counter() - start) * 1000.0, 1)

    async def _transcript(self, seg: Segment) -> tuple[Transcription, float, bool]:
        """The whole segment's transcript, its STT ms, and whether the speculation during the pause made it."""
        spec = self._spec
        if spec is None or spec.segment is not seg or spec.covers < seg.last_voice:
            spec = self._speculate(seg, during_pause=False)
        result, ms = await spec.task
        return result, ms, spec.during_pause

    # -- decisions ------------------------------------------------------------------

    def _worth_words(self, seg: Segment) -> bool:
        """Enough voice for a turn (over the bot's reply: enough to have stopped it)."""
        return seg.voiced >= _samples(self.config.min_speech_ms) and not (seg.barge and seg.stopped_at is None)

    async def _pause(self, seg: Segment) -> None:
        """The silence reached the stop delay: noise, a backchannel, the end of the turn, or wait on."""
        cfg = self.config
        if seg.decision is None:
            if not self._worth_words(seg):
                self._noise(seg, "too_short")
                return
            if seg.barge and not seg.confirmed:
                result, _stt_ms, _spec = await self._transcript(seg)
                if _ms(seg.voiced) <= cfg.backchannel_max_ms and sounds_like_backchannel(
                        result, cfg.backchannel_min_confidence):
                    await self._backchannel(seg, result)
                    return
                await self._confirm_barge(seg)
            result, _stt_ms, _spec = await self._transcript(seg)  # the same run, unless the barge-in joined
            if not result.text.strip():
                self._noise(seg, "no_words")
                return
            seg.decision = turn_completion(result.text)
        if seg.decision.complete:
            await self._endpoint(seg, seg.decision.verdict, cfg.stop_ms)
        elif _ms(seg.silence) >= cfg.hold_ms:
            await self._endpoint(seg, seg.decision.verdict, cfg.hold_ms)

    async def _mic_off(self) -> None:
        seg = self._seg
        if seg is None:
            return
        if seg.voiced < _samples(self.config.min_speech_ms):
            self._noise(seg, "too_short")
            return
        if seg.barge and not seg.confirmed:
            await self._confirm_barge(seg)
        await self._endpoint(seg, "mic_off", 0.0)

    def _noise(self, seg: Segment, reason: str, text: str = "") -> None:
        self._talk.emit(listening.noise(duration_ms=_ms(seg.last_voice - seg.start), reason=reason, text=text))
        self._close(seg)

    def _close(self, seg: Segment) -> None:
        if self._spec is not None and self._spec.segment is seg:
            self._spec = None
        self._release(seg)
        self._seg = None

    def _release(self, seg: Segment) -> None:
        if seg.holds:
            seg.holds = False
            self._talk.hold_turn(False)

    async def _endpoint(self, seg: Segment, verdict: str, stop_ms: float) -> None:
        result, stt_ms, speculative = await self._transcript(seg)
        if not result.text.strip():
            self._noise(seg, "no_words")
            return
        now_index = self._windows * WINDOW
        if speculative and self._spec is not None:
            self._talk.emit(listening.speculation("used", stt_ms=stt_ms, audio_ms=_ms(self._spec.covers - seg.start)))
        self._talk.emit(listening.speech_ended(at_ms=_ms(seg.last_voice), speech_ms=_ms(seg.last_voice - seg.start),
                                               pauses=seg.pauses))
        self._talk.emit(listening.endpoint(delay_ms=_ms(now_index - seg.last_voice), stop_ms=stop_ms,
                                           verdict=verdict, speculative=speculative))
        utterance = Utterance(
            samples=self._audio(seg, seg.last_voice), transcript=result, start_ms=_ms(seg.start),
            end_ms=_ms(seg.last_voice), endpoint_ms=_ms(now_index), verdict=verdict, speculative=speculative,
            barge_in=seg.barge, endpoint_at=self._clock(), end_at=self._at(seg.last_voice),
        )
        self._close(seg)
        self._last, self._last_endpoint_at = seg, utterance.endpoint_at
        self._player.start_reply()  # a fresh track: what this turn says is all the far end will play
        self._turn = await self._talk.start_turn(utterance)

    # -- barge-in ---------------------------------------------------------------------

    async def _barge_progress(self, seg: Segment) -> None:
        cfg = self.config
        if seg.stopped_at is None and _ms(seg.voiced) >= cfg.barge_in_min_ms:
            seg.heard = await self._player.stop()
            seg.stopped_at = self._clock()
        if seg.stopped_at is not None and _ms(seg.voiced) > cfg.backchannel_max_ms:
            await self._confirm_barge(seg)

    async def _confirm_barge(self, seg: Segment) -> None:
        """It is a real barge-in: drop the rest of the reply and say how much was heard."""
        seg.confirmed = True
        if seg.stopped_at is None:  # e.g. the microphone went off mid-burst
            seg.heard = await self._player.stop()
            seg.stopped_at = self._clock()
        heard = seg.heard or Heard(0.0, "", 0.0)
        # Cut in moments after the endpoint, while the answer is still being made: the caller had not finished.
        join = self._last is not None and self._turn_running() and self._within_join(seg.onset_at)
        if self._turn_running():
            assert self._turn is not None
            if join:  # its answer must not stand: its words join these
                self._talk.call_off_turn()
            self._turn.cancel()
        self._talk.emit(listening.interrupted(heard_ms=heard.ms, heard_text=heard.text, reply_ms=heard.reply_ms,
                                              stop_ms=round((seg.stopped_at - seg.onset_at) * 1000.0, 1)))
        self._release(seg)
        await self._talk.cut_turn(heard)
        if join and self._last is not None:
            self._join(seg, self._last)

    def _join(self, seg: Segment, last: Segment) -> None:
        """Make ``seg`` the continuation of ``last`` (its speculation no longer covers it)."""
        if self._spec is not None and self._spec.segment is seg:
            self._spec = None
        seg.start = last.start
        seg.voiced += last.voiced
        seg.pauses += last.pauses + 1
        seg.decision, seg.spec_asked = None, False
        self._turn = None

    async def _backchannel(self, seg: Segment, heard: Transcription) -> None:
        assert seg.stopped_at is not None
        await self._player.resume()
        paused = round((self._clock() - seg.stopped_at) * 1000.0, 1)
        self._talk.emit(listening.backchannel(text=heard.text, duration_ms=_ms(seg.voiced), paused_ms=paused,
                                              confidence=heard.confidence, no_speech=heard.no_speech))
        self._close(seg)

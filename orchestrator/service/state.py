"""What one service process holds: the store, keys, limits, metrics and, once loaded, the pipeline.

The models load in a background thread at start-up, so ``/healthz`` answers
at once and ``/readyz`` turns ready when they are in. Turns go through
``run_turn``: it waits its go in the process's turn queue (``gate``: bounded,
first come first served, 503 ``busy`` only when full), holds the session for
the length of the turn (in Redis when the store is Redis, so two workers never
run one session's turns at once), runs the same ``Pipeline.run_turn`` as the
app and the CLI, and keeps the reply audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger

from orchestrator.config import Settings
from orchestrator.errors import StoreUnavailableError, VoicebotError
from orchestrator.metrics import MetricsSink
from orchestrator.pipeline import AudioChunkCallback, AudioInput, Pipeline, TurnResult
from orchestrator.runtime import build_pipeline, default_store, load_vad
from orchestrator.service.gate import TurnGate
from orchestrator.service.keys import KeyStore
from orchestrator.service.limits import RateLimiter
from orchestrator.service.problems import ServiceProblemError
from orchestrator.service.replies import ReplyStore, open_replies
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.redis_store import RedisSessionStore, redis_call

__all__ = ["ServiceState"]


class ServiceState:
    """One process's service: everything the routes and the media socket need."""

    def __init__(self, settings: Settings, *, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        settings.ensure_dirs()
        self._owns_store = pipeline is None
        self.store: SessionStore = pipeline.store if pipeline is not None else default_store(settings)
        self.keys = KeyStore(settings.keys_file)
        self.limiter = RateLimiter(settings)
        self.metrics = MetricsSink()
        self.gate = TurnGate(settings.turn_concurrency, settings.max_waiting_turns)
        self.replies: ReplyStore = open_replies(settings, self.store)
        self.pipeline: Pipeline | None = None
        self.load_error: str | None = None
        self._loader: threading.Thread | None = None
        if pipeline is not None:
            self._adopt(pipeline)

    def _adopt(self, pipeline: Pipeline) -> None:
        pipeline.tracer.add_sink(self.metrics)
        self.pipeline = pipeline

    def start_loading(self) -> None:
        """Load and warm the models in the background (once)."""
        if self.pipeline is not None or self._loader is not None:
            return

        def load() -> None:
            try:
                pipeline = build_pipeline(self.settings, store=self.store)
                with contextlib.suppress(VoicebotError):  # the media socket's endpointing; a call says if it fails
                    load_vad(self.settings)
                self._adopt(pipeline)
            except VoicebotError as exc:
                self.load_error = exc.message
                logger.error("voicebot serve: the pipeline cannot start: {}", exc.message)

        self._loader = threading.Thread(target=load, name="voicebot-load", daemon=True)
        self._loader.start()

    @property
    def ready(self) -> bool:
        """True once the models are loaded."""
        return self.pipeline is not None

    def require_pipeline(self) -> Pipeline:
        """The pipeline, or 503 ``not_ready`` while the models load."""
        if self.pipeline is None:
            detail = self.load_error or "the models are still loading; try again shortly"
            raise ServiceProblemError(503, "not_ready", detail, retry_after=2)
        return self.pipeline

    @contextlib.asynccontextmanager
    async def holding(self, session_id: str) -> AsyncIterator[None]:
        """Hold the session for one turn; with Redis across every worker, renewed while the turn runs."""
        if not isinstance(self.store, RedisSessionStore):
            yield  # one process: the pipeline's own per-session lock is enough
            return
        ttl = self.settings.session_lock_s
        lock = self.store.client.lock(f"voicebot:lock:{session_id}", timeout=ttl, blocking_timeout=3 * ttl,
                                      thread_local=False)
        got = await asyncio.to_thread(redis_call, "session lock", lock.acquire)
        if not got:
            raise ServiceProblemError(409, "session_busy", f"session {session_id!r} has a turn running elsewhere",
                                 retry_after=max(1, round(ttl)))

        async def renew() -> None:
            while True:
                await asyncio.sleep(ttl / 3)
                with contextlib.suppress(Exception):  # a lost renewal only shortens the hold
                    await asyncio.to_thread(lock.reacquire)

        renewer = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(Exception):  # expired or Redis away: the TTL frees it anyway
                await asyncio.to_thread(lock.release)

    async def run_turn(self, session_id: str, *, text: str | None = None,
                       audio: bytes | Path | AudioInput | None = None,
                       on_audio_chunk: AudioChunkCallback | None = None) -> TurnResult:
        """One turn, as every face runs it, with its reply audio kept for ``/audio/{turn}``."""
        pipeline = self.require_pipeline()
        async with self.gate.admit() as admission, self.holding(session_id):

            async def first_piece_frees_the_slot(index: int, samples: np.ndarray, rate: int) -> None:
                if on_audio_chunk is not None:
                    await on_audio_chunk(index, samples, rate)
                admission.release()

            result = await pipeline.run_turn(session_id, text=text, audio=audio,
                                             on_audio_chunk=first_piece_frees_the_slot)
        try:
            await asyncio.to_thread(self.replies.put, result.session_id, result.turn, result.wav_bytes())
        except (StoreUnavailableError, OSError) as exc:  # the turn is saved; only its audio link is lost
            logger.warning("reply audio of {} turn {} not kept: {}", result.session_id, result.turn, exc)
        return result

    def close(self) -> None:
        """Release the store, if this service opened it (a pipeline handed in keeps its own)."""
        if self._owns_store:
            with contextlib.suppress(Exception):
                self.store.close()

    def describe(self) -> dict[str, Any]:
        """What /readyz reports."""
        pipeline = self.pipeline
        return {"ready": pipeline is not None, "backends": pipeline.backends if pipeline else None}

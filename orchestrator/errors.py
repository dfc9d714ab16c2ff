"""One error tree for the whole workbench.

Callers catch at the level they need::

    VoicebotError                    every error this package raises on purpose
    ├── ConfigError                  bad settings; found at start-up          (CLI exit 2)
    │   ├── UnknownBackendError      a VOICEBOT_* backend name nobody registered
    │   └── BackendUnavailableError  a backend whose package or model is missing
    ├── InputError                   the caller's input is unusable            (CLI exit 2)
    │   ├── AudioError
    │   │   ├── EmptyAudioError      no samples at all
    │   │   ├── SilentAudioError     samples, but no speech energy
    │   │   ├── CorruptAudioError    not decodable as audio
    │   │   └── AudioTooLongError    over the size or duration limit
    │   ├── EmptyTextError           blank text turn
    │   ├── TextTooLongError         a message over the hard size limit ("message too long")
    │   └── InvalidSessionIdError    id fails the session-id pattern
    ├── SessionNotFoundError         an id that no store knows                 (CLI exit 2)
    └── BackendError                 a backend failed while serving a turn
        ├── BackendTimeoutError      it did not answer in time (retryable)
        └── StoreUnavailableError    the shared session store (Redis) is away (retryable)

Every error has a ``category`` (a short stable string used in error events)
and ``retryable``. Vendor exceptions are translated to this tree once, at
the backend boundary, with ``raise ... from exc``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AudioError",
    "AudioTooLongError",
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigError",
    "CorruptAudioError",
    "EmptyAudioError",
    "EmptyTextError",
    "InputError",
    "InvalidSessionIdError",
    "SessionNotFoundError",
    "SilentAudioError",
    "StoreUnavailableError",
    "TextTooLongError",
    "UnknownBackendError",
    "VoicebotError",
]


class VoicebotError(Exception):
    """Base of every error the workbench raises on purpose."""

    category: str = "internal"
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        # The (redacted) events of the turn this error ended, set by the pipeline.
        self.turn_events: tuple[Any, ...] = ()


class ConfigError(VoicebotError):
    """Settings that cannot work; raised at start-up, before any turn runs."""

    category = "config"


class UnknownBackendError(ConfigError):
    """A backend name that is not registered for its kind."""

    category = "unknown_backend"

    def __init__(self, kind: str, name: str, known: list[str], env_var: str) -> None:
        super().__init__(
            f"unknown {kind} backend {name!r}: set {env_var} to one of {', '.join(sorted(known))}"
        )
        self.kind = kind
        self.name = name


class BackendUnavailableError(ConfigError):
    """A registered backend whose package, model or program is missing."""

    category = "backend_unavailable"


class InputError(VoicebotError):
    """Input from the caller that the pipeline cannot use."""

    category = "input"


class AudioError(InputError):
    """Audio that cannot be turned into a transcript."""

    category = "audio"


class EmptyAudioError(AudioError):
    """Audio with no samples (or no bytes at all)."""

    category = "empty_audio"


class SilentAudioError(AudioError):
    """Audio with samples but no speech-level energy."""

    category = "silent_audio"


class CorruptAudioError(AudioError):
    """Bytes that no decoder accepts as audio."""

    category = "corrupt_audio"


class AudioTooLongError(AudioError):
    """Audio over the configured size or duration limit."""

    category = "audio_too_long"


class EmptyTextError(InputError):
    """A text turn that is blank after stripping."""

    category = "empty_text"


class TextTooLongError(InputError):
    """A text message longer than anything a caller types; refused before any work is done on it."""

    category = "text_too_long"


class InvalidSessionIdError(InputError):
    """A session id that does not match the allowed pattern."""

    category = "invalid_session_id"


class SessionNotFoundError(VoicebotError):
    """A well-formed session id that no store holds."""

    category = "session_not_found"


class BackendError(VoicebotError):
    """A backend failed while serving a turn."""

    category = "backend"

    def __init__(self, message: str, *, stage: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.stage = stage
        self.retryable = retryable


class BackendTimeoutError(BackendError):
    """A backend did not answer within its deadline."""

    category = "timeout"

    def __init__(self, message: str, *, stage: str) -> None:
        super().__init__(message, stage=stage, retryable=True)


class StoreUnavailableError(BackendError):
    """The session store cannot be reached; the turn may be tried again once it is back."""

    category = "store_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, stage="store", retryable=True)

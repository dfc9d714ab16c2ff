"""Live scenarios: spoken turns played in real time on an open line, through the hands-free engine.

A scenario is live when a turn scripts a barge-in (``interrupt_after_ms``: its speech
starts that long after the previous reply began to play) or expects something of the
endpoint (``endpoint_ms``: the most the turn may wait after the end of speech;
``split: false``: the speech makes exactly one turn). Its audio and ``say`` turns then go
through ``HeadlessCall``; its typed turns stream their replies to the same player, so a
later turn can cut in on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.audio import decode_audio
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.realtime.headless import HeadlessCall
from orchestrator.runtime import load_vad
from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.model import Scenario, Turn

__all__ = ["LiveLine", "is_live"]


def is_live(scenario: Scenario) -> bool:
    """Does any turn script a barge-in or expect something of the endpoint?"""
    return any(
        t.interrupt_after_ms is not None or t.expect.endpoint_ms is not None or t.expect.split is not None
        for t in scenario.turns
    )


@dataclass
class Played:
    """What one scripted turn became on the line: the answers it got, and the live checks."""

    result: TurnResult | None
    checks: list[CheckResult]


class LiveLine:
    """One scenario run's open line."""

    def __init__(self, pipeline: Pipeline, session_id: str) -> None:
        self.pipeline = pipeline
        self.session_id = session_id
        self.line = HeadlessCall(pipeline, session_id, load_vad(pipeline.settings))

    async def type(self, text: str) -> TurnResult:
        """A typed turn whose reply plays on the line."""
        self.line.player.start_reply()
        return await self.pipeline.run_turn(self.session_id, text=text, on_audio_chunk=self.line.call.piece)

    async def speak(self, turn: Turn, audio: bytes | Path) -> Played:
        """Say ``audio`` (a WAV or FLAC, any rate) on the line, over the last reply when the turn scripts it."""
        samples = decode_audio(audio, max_seconds=self.pipeline.settings.max_audio_seconds).samples
        if turn.interrupt_after_ms is None:
            await self.line.wait_quiet()
        stops_before = len(self.line.out.stops)
        said = await self.line.say(samples, interrupt_after_ms=turn.interrupt_after_ms)
        answered = [t.outcome for t in said.turns if isinstance(t.outcome, TurnResult)]
        checks: list[CheckResult] = []
        expect = turn.expect
        if expect.split is not None:
            made = len(said.turns)
            checks.append(CheckResult("split", (made > 1) == expect.split, f"the speech made {made} turn(s)"))
        if expect.endpoint_ms is not None:
            delays = [t.utterance.delay_ms for t in said.turns]
            ok = bool(delays) and max(delays) <= expect.endpoint_ms
            detail = f"ended {delays} ms after the speech, budget {expect.endpoint_ms}"
            checks.append(CheckResult("endpoint_ms", ok, detail))
        if turn.interrupt_after_ms is not None:
            stopped = len(self.line.out.stops) > stops_before
            checks.append(CheckResult("barge-in", stopped, "" if stopped else "the reply was not stopped"))
        if not said.turns:
            checks.append(CheckResult("turn ran", False, "the speech made no turn (see segment_noise in the log)"))
        return Played(answered[-1] if answered else None, checks)

    async def close(self) -> None:
        """Hang up."""
        await self.line.close()

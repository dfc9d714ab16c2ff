"""``expect: {spoken: ...}``: Whisper listens to the bot's own reply audio, as a caller would hear it.

Each money amount and percentage the reply text states must come back from
the audio as that number: "$489.15" heard as 489.15 passes, heard as 408.99
fails. This catches the TTS reading a number wrongly and Piper's sampling
noise slurring one, end to end. The transcript is searched for the values
whatever their unit (Whisper may drop a "$"), so only a number that is
really heard differently fails.
"""

from __future__ import annotations

import asyncio

from orchestrator.audio import TARGET_RATE, resample
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.figures import numbers_in, stated_figures
from orchestrator.stt.base import STT

__all__ = ["SPOKEN_KINDS", "check_spoken", "figures_to_hear", "heard_figures"]

SPOKEN_KINDS = ("money", "percent")


def figures_to_hear(reply: str) -> list[str]:
    """The figures of ``reply`` a caller must hear right (money and percentages), as written."""
    return [f.text for f in stated_figures(reply) if f.kind in SPOKEN_KINDS]


def heard_figures(reply: str, transcript: str) -> tuple[list[str], list[str]]:
    """(heard, missed): the reply's figures found in the transcript by value, and those not found."""
    heard_values = numbers_in(transcript)
    heard: list[str] = []
    missed: list[str] = []
    for figure in stated_figures(reply):
        if figure.kind in SPOKEN_KINDS:
            (heard if figure.value in heard_values else missed).append(figure.text)
    return heard, missed


async def check_spoken(result: TurnResult, listener: STT) -> CheckResult:
    """Transcribe the reply audio with ``listener`` and look for every figure of the reply text in it."""
    name = "spoken figures"
    wanted = figures_to_hear(result.reply)
    if not wanted:
        return CheckResult(name, True, "the reply states no figures")
    if result.audio.size == 0:
        return CheckResult(name, False, "the reply has no audio to listen to")
    samples = resample(result.audio, result.sample_rate, TARGET_RATE)
    transcript = (await asyncio.to_thread(listener.transcribe, samples)).text
    heard, missed = heard_figures(result.reply, transcript)
    if missed:
        return CheckResult(name, False, f"not heard: {', '.join(missed)}; Whisper heard {transcript!r}")
    return CheckResult(name, True, f"heard {', '.join(heard)}")

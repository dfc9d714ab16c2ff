"""``expect: {spoken: ...}``: Whisper listens to the bot's own reply audio, as a caller would hear it.

Each money amount and percentage the reply text states must come back from
the audio as that number: "$489.15" heard as 489.15 passes, heard as 408.99
fails. This catches the TTS reading a number wrongly and Piper's sampling
noise slurring one, end to end.

Each figure must be matched by its own number in the transcript (a figure
said twice must be heard twice), whatever its unit: Whisper may drop a "$".
The ways Whisper writes a right figure are read as that figure, measured on
Piper quotes: "$9,320 in two cents" (and, heard as "in"), "$273,000
$54.65" (one amount split in two), "$827.5" for "eight hundred twenty-seven
dollars and five cents", "$7,09.97" for "$7,009.97" (a dropped zero) and "80R6.5%" for "APR
is 6.5%" (a misheard word glued on).
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal, InvalidOperation

from orchestrator.audio import TARGET_RATE, resample
from orchestrator.nlu.numbers import digitize
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.figures import stated_figures
from orchestrator.stt.base import STT

__all__ = ["SPOKEN_KINDS", "check_spoken", "figures_to_hear", "heard_figures", "heard_numbers"]

SPOKEN_KINDS = ("money", "percent")

_SHORT_GROUP = re.compile(r"(?<=\d),(\d{2})(?=\.\d|[^\d,]|$)")  # "7,09.97": a thousands group lost its zero
_CENTS = re.compile(r"\$?(\d+(?:\.\d+)?)(?:\s*dollars?)?,?\s+(?:and|in)\s+(\d{1,2})\s*cents?\b", re.I)
_SPLIT = re.compile(r"\$(\d*000),?\s+\$(\d{1,3}(?:\.\d{1,2})?)(?!\d|\.\d)")  # "$273000 $54.65"
# A number starts after no digit, point or lower-case letter: Whisper glues a word it misheard in capitals
# to the figure after it ("the 80R6.5%" for "the APR is 6.5%").
_NUMBER = re.compile(r"(\$)?(?<![\d.a-z_])(\d+)(?:\.(\d+))?")


def _value(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def heard_numbers(transcript: str) -> list[frozenset[Decimal]]:
    """Each number in the transcript once, as the values it can stand for ("$827.5": 827.50 or 827.05)."""
    text = digitize(_SHORT_GROUP.sub(lambda m: ",0" + m.group(1), transcript))
    heard: list[frozenset[Decimal]] = []

    def take(match: re.Match[str], value: Decimal | None) -> str:
        if value is not None:
            heard.append(frozenset({value}))
        return " # "

    text = _CENTS.sub(lambda m: take(m, _value(f"{m.group(1).split('.')[0]}.{m.group(2).rjust(2, '0')}")), text)
    text = _SPLIT.sub(lambda m: take(m, Decimal(m.group(1)) + Decimal(m.group(2))), text)
    for m in _NUMBER.finditer(text):
        whole, frac = m.group(2), m.group(3)
        values = {_value(f"{whole}.{frac}" if frac else whole)}
        if m.group(1) and frac is not None and len(frac) == 1:
            values.add(_value(f"{whole}.0{frac}"))  # "five cents" written as ".5"
        heard.append(frozenset(v for v in values if v is not None))
    return heard


def figures_to_hear(reply: str) -> list[str]:
    """The figures of ``reply`` a caller must hear right (money and percentages), as written."""
    return [f.text for f in stated_figures(reply) if f.kind in SPOKEN_KINDS]


def heard_figures(reply: str, transcript: str) -> tuple[list[str], list[str]]:
    """(heard, missed): the reply's figures each matched to a number of its own in the transcript, and the rest."""
    unused = heard_numbers(transcript)
    heard: list[str] = []
    missed: list[str] = []
    for figure in stated_figures(reply):
        if figure.kind not in SPOKEN_KINDS:
            continue
        match = next((i for i, values in enumerate(unused) if figure.value in values), None)
        if match is None:
            missed.append(figure.text)
        else:
            del unused[match]
            heard.append(figure.text)
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

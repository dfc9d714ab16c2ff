"""Measure the spoken-figure check on real Piper + real Whisper base, at Piper's noise settings.

For each of N loan quotes (drawn with a fixed seed) and each noise setting:

* faithful: Piper speaks the quote as written; a flag here is a figure that
  Piper slurred or Whisper misheard (the check cannot tell which);
* corrupted: Piper speaks the quote with the payment changed by one digit
  (the TTS "reading a number wrongly"); the check should flag it.

Prints one JSON object: per setting, the catch rate on corrupted quotes and
the flag rate on faithful ones, with the transcripts of every flagged
faithful quote. Usage (from the checkout, models installed):

    PYTHONPATH=. .venv/bin/python scripts/measure_spoken_check.py --quotes 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from orchestrator.config import Settings
from orchestrator.dialog.quotes import make_quote
from orchestrator.nlu.spoken import speakable
from orchestrator.pipeline import TurnResult
from orchestrator.runtime import load_backends
from orchestrator.scenarios.spoken import check_spoken
from orchestrator.tts.piper import PiperTTS

SETTINGS = {"default": (0.333, 0.4), "high": (1.0, 1.2)}  # high: above Piper's stock 0.667 / 0.8


def quotes(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        slots = {
            "principal": str(rng.choice([1500, 4800, 9000, 12500, 18000, 25000, 37500, 64000, 120000, 350000])),
            "rate_percent": str(rng.choice(["0", "2.9", "4.9", "5.25", "6.5", "7.99", "11.5", "19.9"])),
            "term_months": rng.choice([6, 12, 24, 36, 48, 60, 84, 120, 240, 360]),
        }
        texts.append(make_quote(slots).text())
    return texts


def corrupt(text: str, rng: random.Random) -> str:
    """The quote with one digit of its monthly payment changed."""
    match = re.search(r"monthly payment is \$([\d,]+\.\d\d)", text)
    assert match is not None, text
    figure = match.group(1)
    pos = rng.choice([i for i, ch in enumerate(figure) if ch.isdigit()])
    digit = rng.choice([d for d in "0123456789" if d != figure[pos]])
    return text[: match.start(1)] + figure[:pos] + digit + figure[pos + 1:] + text[match.end(1):]


def result_for(reply: str, audio: np.ndarray, rate: int) -> TurnResult:
    return TurnResult("m", 1, "", None, None, reply, "loan_quote", {}, "quoted", {}, {}, None, audio, rate)


async def measure(count: int, seed: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="spoken-measure-"))
    settings = Settings(home=home, stt="whisper-base", tts="piper", llm="rules")
    settings.ensure_dirs()
    stt, _tts, _dialog = load_backends(settings)
    texts = quotes(count, seed)
    report: dict[str, object] = {"quotes": count, "seed": seed, "stt": "whisper-base", "settings": {}}
    for name, (noise, noise_w) in SETTINGS.items():
        tts = PiperTTS(noise_scale=noise, noise_w_scale=noise_w)
        rng = random.Random(seed)
        caught = flagged = 0
        flagged_examples = []
        started = time.perf_counter()
        for index, text in enumerate(texts):
            faithful = await check_spoken(result_for(text, tts.synthesize(speakable(text)), tts.sample_rate), stt)
            if not faithful.passed:
                flagged += 1
                flagged_examples.append({"quote": index, "detail": faithful.detail})
            wrong = corrupt(text, rng)
            audio = tts.synthesize(speakable(wrong))
            if not (await check_spoken(result_for(text, audio, tts.sample_rate), stt)).passed:
                caught += 1
            print(f"{name}: {index + 1}/{count}", file=sys.stderr)
        report["settings"][name] = {  # type: ignore[index]
            "noise_scale": noise, "noise_w_scale": noise_w,
            "catch_rate_corrupted": round(caught / count, 3), "caught": caught,
            "flag_rate_faithful": round(flagged / count, 3), "flagged": flagged,
            "flagged_faithful": flagged_examples, "seconds": round(time.perf_counter() - started, 1),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.quotes, args.seed)), indent=2, default=str))


if __name__ == "__main__":
    main()

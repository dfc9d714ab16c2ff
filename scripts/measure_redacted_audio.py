"""Measure redacted audio on real Piper + real Whisper base: how much of the number is heard again.

For each of N sentences (drawn with a fixed seed: cards, CVVs, account
numbers and SSNs, said as digit words or written in groups), Piper says the
sentence, one turn runs through the real pipeline with consent given and
retention on, and the kept WAV, if any, is transcribed again by Whisper.

Prints one JSON object: the outcomes (silenced / unlocated / digits_heard /
...), and over the kept recordings the WER of the re-transcription on the
number's digits (reference: the digits, one word each; hypothesis: the
digits the oracle reads in the re-transcription), the digits of the number
found again (0 is the target), and the WER of the words around the number.
Usage (from the checkout, models installed):

    PYTHONPATH=. .venv/bin/python scripts/measure_redacted_audio.py --sentences 12
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path

from orchestrator import leakscan
from orchestrator.audio import decode_audio, encode_wav, trim_silence
from orchestrator.config import Settings
from orchestrator.events import RecordingStored
from orchestrator.runtime import build_pipeline
from orchestrator.textmetrics import wer

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _luhn_completed(body: str) -> str:
    total = 0
    for k, ch in enumerate(reversed(body)):
        value = int(ch) * (1 if k % 2 else 2)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def sentences(count: int, seed: int = 14) -> list[tuple[str, str, str, str]]:
    """(kind, digits, sentence said, the sentence's words without the number)."""
    rng = random.Random(seed)
    kinds = [("card", "My card number is {} and I lost it yesterday.", 16),
             ("cvv", "The security code is {}, please check my payment.", 3),
             ("account", "My account number is {} and I want my balance.", 8),
             ("ssn", "My social security number is {}, thank you.", 9)]
    out = []
    for i in range(count):
        kind, template, length = kinds[i % len(kinds)]
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        if kind == "card":
            digits = _luhn_completed("4" + digits[1:-1])
        groups = [digits[k : k + 4] for k in range(0, len(digits), 4)]
        as_words = rng.random() < 0.5
        said = ", ".join(" ".join(_ONES[int(d)] for d in g) for g in groups) if as_words else " ".join(groups)
        out.append((kind, digits, template.format(said), template.format("")))
    return out


async def measure(count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), stt="whisper-base", tts="piper", llm="rules", cache=False,
                            audio_retention="consented", log_level="WARNING")
        pipeline = build_pipeline(settings)
        rows = []
        for n, (kind, digits, said, rest) in enumerate(sentences(count)):
            sid = f"rr-{n:03d}"
            await pipeline.set_consent(sid, True)
            wav = encode_wav(pipeline.tts.synthesize(said), pipeline.tts.sample_rate)
            result = await pipeline.run_turn(sid, audio=wav)
            event = next(e for e in result.events if isinstance(e, RecordingStored))
            row: dict[str, object] = {"kind": kind, "outcome": event.outcome, "said": said,
                                      "spans_ms": [[s.start_ms, s.end_ms] for s in event.spans]}
            if event.file is not None:
                again = pipeline.stt.transcribe(trim_silence(decode_audio(settings.audio_dir / event.file).samples))
                heard = "".join("".join(run.digits) for run in leakscan.to_digit_runs(again.text))
                row |= {
                    "again": again.text,
                    "digits_wer": wer(" ".join(digits), " ".join(heard)) if heard else 1.0,
                    "digits_found": sum(1 for d in heard if d in digits),
                    "oracle": [f.kind for f in leakscan.scan(again.text)],
                    "rest_wer": round(wer(rest, again.text), 3),
                }
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        pipeline.store.close()
    kept = [r for r in rows if "again" in r]
    outcomes: dict[str, int] = {}
    for r in rows:
        outcomes[str(r["outcome"])] = outcomes.get(str(r["outcome"]), 0) + 1
    return {
        "sentences": len(rows),
        "outcomes": outcomes,
        "kept": len(kept),
        "digits_wer_mean": round(sum(float(r["digits_wer"]) for r in kept) / len(kept), 3) if kept else None,
        "number_digits_found_again": sum(int(r["digits_found"]) for r in kept),
        "oracle_findings_in_kept": sum(len(r["oracle"]) for r in kept),  # type: ignore[arg-type]
        "rest_wer_mean": round(sum(float(r["rest_wer"]) for r in kept) / len(kept), 3) if kept else None,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=12, help="how many sentences to say (default 12)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.sentences)), indent=2))


if __name__ == "__main__":
    main()

"""Start-up time and peak memory of the default stack, measured in a process of its own.

``voicebot bench`` runs ``python -m orchestrator.startup`` with its settings on stdin
(JSON). The child starts as ``app.py`` does: it imports Chainlit, builds the pipeline,
runs each model once (ready), loads the voice-activity detector, and lets the fixed
phrases be synthesised. It then plays two turns, typed and spoken, so the peak RSS is
that of the stack at work, and prints one JSON report. Nothing the bench itself loads
(its synthetic caller, its clips, its 100k-entry cache) is in these figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

__all__ = ["PROBE_QUESTION", "measure_startup", "probe"]

PROBE_QUESTION = "How much would a 10,000 dollar loan cost over 3 years at 7 percent?"
_TIMEOUT_S = 900.0


def _age_s() -> float:
    return round(time.time() - psutil.Process().create_time(), 2)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)  # KiB on Linux


async def _turns(pipeline: Any) -> None:
    """A typed turn, then a spoken one (the voice says the question, Whisper hears it)."""
    from orchestrator.audio import encode_wav
    from orchestrator.nlu.spoken import speakable

    await pipeline.run_turn("startup-probe", text="Hello.")
    speech = pipeline.tts.synthesize(speakable(PROBE_QUESTION))
    await pipeline.run_turn("startup-probe", audio=encode_wav(speech, pipeline.tts.sample_rate))


def probe(settings_json: str) -> dict[str, Any]:
    """Start the default stack as the app does and report when each part was ready (run in a fresh process)."""
    marks: dict[str, float] = {"process_start_to_main": _age_s()}
    import chainlit  # the app's own import, paid before its models load
    import chainlit.server  # noqa: F401

    marks["chainlit_imported"] = _age_s()
    from orchestrator.config import Settings
    from orchestrator.runtime import build_pipeline, load_timings, load_vad, warm_in_background
    from orchestrator.sessions.sqlite import SqliteSessionStore
    from orchestrator.trace import JsonlSink, Tracer

    settings = Settings.model_validate_json(settings_json)
    marks["orchestrator_imported"] = _age_s()
    offset = time.time() - psutil.Process().create_time() - time.perf_counter()  # perf_counter -> process age
    with tempfile.TemporaryDirectory(prefix="voicebot-startup-") as tmp:
        scratch = Path(tmp)
        pipeline = build_pipeline(settings.model_copy(update={"cache_store": "memory"}),
                                  store=SqliteSessionStore(scratch / "sessions.db"),
                                  tracer=Tracer([JsonlSink(scratch / "logs")]), warm=False)
        marks["models_loaded"] = _age_s()
        phrases = warm_in_background(pipeline)
        marks["models_warm"] = _age_s()
        load_vad(settings)
        ready = _age_s()
        rss_ready = _peak_rss_mb()
        phrases.join()
        marks["phrases_cached"] = _age_s()
        asyncio.run(_turns(pipeline))
        marks["two_turns_played"] = _age_s()
        pipeline.store.close()
    loads = {name: {"began_at_s": round(t["start"] + offset, 2), "took_s": round(t["s"], 2)}
             for name, t in load_timings().items()}
    return {
        "startup_to_ready_s": ready,
        "peak_rss_mb": _peak_rss_mb(),
        "peak_rss_at_ready_mb": rss_ready,
        "rss_after_turns_mb": round(psutil.Process().memory_info().rss / 1e6, 1),
        "torch_imported": "torch" in sys.modules,
        "marks_s": marks,
        "model_loads": loads,
        "measures": "a fresh process started as app.py starts (Chainlit imported, models loaded and run once, "
                    "VAD loaded); peak RSS after the fixed phrases and a typed and a spoken turn",
    }


def measure_startup(settings_json: str) -> dict[str, Any]:
    """Run :func:`probe` in a fresh Python process and return its report (``{"error": ...}`` if it failed)."""
    done = subprocess.run(  # our own interpreter and module: no input in the command
        [sys.executable, "-m", "orchestrator.startup"], input=settings_json, capture_output=True, text=True,
        timeout=_TIMEOUT_S, env=dict(os.environ), check=False,
    )
    lines = done.stdout.strip().splitlines()
    try:
        report: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {}
    if (done.returncode != 0 and "error" not in report) or not report:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the start-up probe exited {done.returncode}: {tail[:300]}"}
    return report


def _main() -> int:
    from pydantic import ValidationError

    from orchestrator.errors import VoicebotError

    try:
        print(json.dumps(probe(sys.stdin.read())))
    except (VoicebotError, ValidationError) as exc:
        message = exc.message if isinstance(exc, VoicebotError) else str(exc).splitlines()[0]
        print(json.dumps({"error": f"the start-up probe could not start the stack: {message}"}))
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

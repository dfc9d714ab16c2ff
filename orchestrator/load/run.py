"""``voicebot load``: ramp up concurrent callers, find the capacity within a latency budget.

A run plays steps of 1, 2, 4, ... callers up to N (or only N with
``ramp=False``), each caller holding a ``turns``-turn conversation. The
capacity is the most callers of a step whose p95 caller latency (audio:
voice-to-voice; text: time to first reply audio) stays within the budget;
the ramp stops at the first step over it. With ``workers`` > 1, that many
processes (each with its own models) share every step's callers over one
store, which must then be shared: SQLite (one file) or Redis.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.audit import AuditSink, load_audit_key
from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.load.callers import StepResult, TurnSample, run_callers, script_for, synthesize_scripts
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.factory import open_store
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore
from orchestrator.trace import JsonlSink, Tracer

__all__ = ["LoadPlan", "build_load_pipeline", "caller_steps", "run_load", "summarise_step"]

_STAGES = ("audio", "stt", "dialog", "tts_first_audio", "tts", "total", "voice_to_voice")


class LoadPlan:
    """What to run: callers, turns each, audio or text, workers, the budget."""

    def __init__(
        self, callers: int, turns: int, *, audio: bool = False, workers: int = 1, budget_ms: float = 1500.0,
        ramp: bool = True, store: str | None = None,
    ) -> None:
        self.callers, self.turns, self.audio = callers, turns, audio
        self.workers, self.budget_ms, self.ramp = workers, budget_ms, ramp
        self.store = store  # None: a scratch SQLite file that goes away with the run


def caller_steps(callers: int, ramp: bool) -> list[int]:
    """1, 2, 4, ... up to ``callers`` (always ending on it); just ``callers`` without the ramp."""
    if not ramp:
        return [callers]
    steps, n = [], 1
    while n < callers:
        steps.append(n)
        n *= 2
    return [*steps, callers]


def build_load_pipeline(settings: Settings, home: Path, shared: Path, store_url: str | None) -> Pipeline:
    """The real pipeline logging and auditing into ``home``, on ``store_url`` (None: SQLite in ``shared``)."""
    from orchestrator.logs import configure_logging
    from orchestrator.runtime import load_backends
    from orchestrator.sessions.sqlite import SqliteSessionStore

    configure_logging(settings.log_level)
    stt, tts, dialog = load_backends(settings)
    store = (
        SqliteSessionStore(shared / "sessions.db") if store_url is None
        else open_store(settings.model_copy(update={"store": store_url}))
    )
    sinks: list[Any] = [JsonlSink(home / "logs"), AuditSink(home / "audit", load_audit_key(home))]
    if isinstance(store, RedisSessionStore):
        sinks.append(RedisEventStream(store.client))
    pipeline = Pipeline(settings, stt=stt, tts=tts, dialog=dialog, store=store, tracer=Tracer(sinks))
    pipeline.warm_up()
    return pipeline


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def summarise_step(step: StepResult, budget_ms: float) -> dict[str, Any]:
    """Turns per second, p50/p95 per stage and for the caller, errors, lost turns, within budget or not."""
    ok = [s for s in step.samples if s.ok]
    stages: dict[str, dict[str, float | None]] = {}
    for stage in _STAGES:
        values = [s.timings_ms[stage] for s in ok if stage in s.timings_ms]
        if values:
            stages[stage] = {"p50": _pct(values, 50), "p95": _pct(values, 95)}
    caller = [s.caller_ms for s in ok]
    errors: dict[str, int] = {}
    for s in step.samples:
        if not s.ok:
            errors[s.error_category or "internal"] = errors.get(s.error_category or "internal", 0) + 1
    p95 = _pct(caller, 95)
    return {
        "callers": step.callers,
        "turns": len(step.samples),
        "turns_per_s": round(len(step.samples) / step.wall_s, 2) if step.wall_s else None,
        "wall_s": round(step.wall_s, 2),
        "caller_ms": {"p50": _pct(caller, 50), "p95": p95},
        "stages_ms": stages,
        "errors": errors,
        "lost_turns": step.lost_turns,
        "log_missing": step.log_missing,
        "audit_failures": step.audit_failures,
        "within_budget": p95 is not None and p95 <= budget_ms and not errors and not step.lost_turns,
    }


# -- one process's share ---------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _worker_init(settings_json: str, scratch: str, audio: bool, texts: list[str], store: str | None) -> None:
    """In each worker process: load the models once, synthesize the callers' audio once."""
    settings = Settings.model_validate_json(settings_json)
    home = Path(scratch) / f"worker-{multiprocessing.current_process().pid}"
    pipeline = build_load_pipeline(settings, home, Path(scratch), store)
    clips = synthesize_scripts(pipeline.tts, set(texts)) if audio else None
    _worker.update(pipeline=pipeline, clips=clips, home=home)


def _worker_step(callers: int, turns: int, first_caller: int) -> dict[str, Any]:
    pipeline: Pipeline = _worker["pipeline"]
    home: Path = _worker["home"]
    step = asyncio.run(run_callers(pipeline, callers, turns, logs_dir=home / "logs", audit_dir=home / "audit",
                                   clips=_worker["clips"], first_caller=first_caller))
    data = step.as_dict()
    data["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return data


def _merge(parts: list[dict[str, Any]], callers: int, turns: int, wall_s: float) -> StepResult:
    samples = [TurnSample(**s) for part in parts for s in part["samples"]]
    return StepResult(
        callers, turns, wall_s, samples, sum(p["lost_turns"] for p in parts), sum(p["log_missing"] for p in parts),
        [a for p in parts for a in p["audit_failures"]],
    )


def _shares(callers: int, workers: int) -> list[tuple[int, int]]:
    """(callers, first caller index) per worker, as even as it goes."""
    base, extra = divmod(callers, workers)
    out, first = [], 0
    for w in range(workers):
        n = base + (w < extra)
        if n:
            out.append((n, first))
        first += n
    return out


def run_load(plan: LoadPlan, settings: Settings, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the plan and return the report (see ``voicebot load --help``)."""
    if plan.workers > 1 and (plan.store or "").strip() == "memory":
        raise ConfigError("--workers needs a store processes can share: sqlite or redis://..., not memory")
    settings = settings.model_copy(update={"cache": False})  # every turn reaches the dialog and the TTS
    texts = sorted({t for c in range(plan.callers) for t in script_for(c, plan.turns)})
    steps: list[dict[str, Any]] = []
    peak_rss = 0.0
    with tempfile.TemporaryDirectory(prefix="voicebot-load-") as tmp:
        scratch = Path(tmp)
        load_start = time.perf_counter()
        if plan.workers == 1:
            pipeline = build_load_pipeline(settings, scratch, scratch, plan.store)
            clips = synthesize_scripts(pipeline.tts, set(texts)) if plan.audio else None
            pool = None
        else:
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(
                plan.workers, mp_context=context, initializer=_worker_init,
                initargs=(settings.model_dump_json(), tmp, plan.audio, texts, plan.store),
            )
            # Touch every worker so the models are loaded before the first step is timed.
            list(pool.map(_noop, range(plan.workers * 2)))
        load_s = time.perf_counter() - load_start
        try:
            for callers in caller_steps(plan.callers, plan.ramp):
                if progress is not None:
                    progress(f"{callers} callers")
                if pool is None:
                    step = asyncio.run(run_callers(pipeline, callers, plan.turns, logs_dir=scratch / "logs",
                                                   audit_dir=scratch / "audit", clips=clips))
                    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
                else:
                    started = time.perf_counter()
                    futures = [pool.submit(_worker_step, n, plan.turns, first)
                               for n, first in _shares(callers, plan.workers)]
                    parts = [f.result() for f in futures]
                    step = _merge(parts, callers, plan.turns, time.perf_counter() - started)
                    peak_rss = max(peak_rss, sum(p["peak_rss_mb"] for p in parts))
                summary = summarise_step(step, plan.budget_ms)
                steps.append(summary)
                if not summary["within_budget"] and plan.ramp:
                    break
        finally:
            if pool is not None:
                pool.shutdown()
            else:
                pipeline.store.close()
    good = [s["callers"] for s in steps if s["within_budget"]]
    last = steps[-1]
    return {
        "callers": plan.callers,
        "turns_per_caller": plan.turns,
        "audio": plan.audio,
        "workers": plan.workers,
        "store": "scratch sqlite" if plan.store is None else "redis" if "://" in plan.store else plan.store,
        "budget_ms": plan.budget_ms,
        "measures": "caller_ms: from sending a turn to the first reply audio (audio callers: voice-to-voice)",
        "capacity": max(good) if good else 0,
        "turns_per_s": last["turns_per_s"],
        "stages_ms": last["stages_ms"],
        "voice_to_voice_ms": last["caller_ms"],
        "errors": last["errors"],
        "lost_turns": sum(s["lost_turns"] for s in steps),
        "log_missing": sum(s["log_missing"] for s in steps),
        "audit_failures": [a for s in steps for a in s["audit_failures"]],
        "peak_rss_mb": round(peak_rss, 1),
        "load_s": round(load_s, 2),
        "steps": steps,
    }


def _noop(_: int) -> None:
    time.sleep(0.05)

"""A soak: many text turns through one pipeline, watching memory and open files.

The caller plays the load test's conversations one after another, each in a
new session, as a long-lived app process would. The warm-up is the first
``WARMUP_TURNS`` turns (a fifth of a shorter run): every conversation has been
played many times by then. From its end on, RSS and open descriptors are
sampled every ``SAMPLE_EVERY`` turns, each after the allocator has handed
freed heap back (``orchestrator.memory``: what glibc keeps for reuse swings by
hundreds of MB from turn to turn and is no leak); the growth is the highest sample after
warm-up against the RSS at its end, so a step that comes and goes counts as
much as one that stays. The soak passes when that growth is below
``RSS_GROWTH_LIMIT_PCT`` and no sample holds more descriptors than at the end
of warm-up: a leak of either shows up here long before production.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from orchestrator.audit import AuditSink, load_audit_key
from orchestrator.config import Settings
from orchestrator.load.callers import CONVERSATIONS
from orchestrator.memory import trim_now
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.trace import JsonlSink, Tracer

__all__ = ["RSS_GROWTH_LIMIT_PCT", "SAMPLE_EVERY", "WARMUP_TURNS", "run_soak", "soak_pipeline", "soak_verdict"]

RSS_GROWTH_LIMIT_PCT = 5.0
WARMUP_TURNS = 100
SAMPLE_EVERY = 10


def soak_pipeline(settings: Settings, scratch: Path) -> Pipeline:
    """The configured backends on a scratch SQLite store, log and audit trail; no semantic cache."""
    from orchestrator.runtime import build_pipeline

    return build_pipeline(
        settings.model_copy(update={"cache": False}),
        store=SqliteSessionStore(scratch / "sessions.db"),
        tracer=Tracer([JsonlSink(scratch / "logs"), AuditSink(scratch / "audit", load_audit_key(scratch))]),
    )


def _sample(process: psutil.Process) -> tuple[float, int]:
    # Freed heap the allocator still holds is no leak: hand it back first, as the app does after each turn.
    trim_now(force=True)
    return process.memory_info().rss / 2**20, process.num_fds()


async def _play(pipeline: Pipeline, turns: int, warmup: int, every: int,
                progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    process = psutil.Process()
    series: list[dict[str, float]] = []
    errors = done = 0
    started = time.perf_counter()
    call = 0
    while done < turns:
        sid = f"soak-{call:05d}"
        for text in CONVERSATIONS[call % len(CONVERSATIONS)]:
            if done >= turns:
                break
            try:
                await pipeline.run_turn(sid, text=text)
            except Exception:  # a failed turn is counted; the soak is about what the process keeps
                errors += 1
            done += 1
            if done % every == 0 or done in (warmup, turns):
                rss, fds = _sample(process)
                series.append({"turn": done, "rss_mb": round(rss, 1), "fds": fds})
            if progress is not None:
                progress(done, turns)
        call += 1
    return {"turns": turns, "warmup_turns": warmup, "sample_every": every, "errors": errors,
            "wall_s": round(time.perf_counter() - started, 1), **soak_verdict(series, warmup)}


def soak_verdict(series: list[dict[str, float]], warmup: int) -> dict[str, Any]:
    """RSS and descriptor growth after ``warmup`` from the samples (``turn``, ``rss_mb``, ``fds``), and pass/fail."""
    base = next(s for s in series if s["turn"] == warmup)
    after = [s for s in series if s["turn"] >= warmup]
    end = after[-1]
    peak = max(s["rss_mb"] for s in after)
    growth = (peak - base["rss_mb"]) / base["rss_mb"] * 100.0
    fds_max = int(max(s["fds"] for s in after))
    rss_ok = growth < RSS_GROWTH_LIMIT_PCT
    fds_flat = fds_max <= base["fds"]
    return {
        "measures": f"RSS growth: the highest RSS sampled after the first {warmup} turns against the RSS then",
        "rss_mb_after_warmup": base["rss_mb"],
        "rss_mb_max_after_warmup": peak,
        "rss_mb_end": end["rss_mb"],
        "rss_growth_pct": round(growth, 2),
        "rss_growth_end_pct": round((end["rss_mb"] - base["rss_mb"]) / base["rss_mb"] * 100.0, 2),
        "rss_growth_limit_pct": RSS_GROWTH_LIMIT_PCT,
        "rss_ok": rss_ok,
        "fds_after_warmup": int(base["fds"]),
        "fds_max_after_warmup": fds_max,
        "fds_end": int(end["fds"]),
        "fds_flat": fds_flat,
        "passed": rss_ok and fds_flat,
        "series": series,
    }


def run_soak(
    settings: Settings,
    turns: int = 1000,
    *,
    warmup: int | None = None,
    pipeline: Pipeline | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Play ``turns`` text turns; RSS and open-descriptor growth after ``warmup`` turns, and whether it passed.

    ``warmup`` defaults to ``WARMUP_TURNS``, or a fifth of a run too short for that.
    """
    warm = warmup if warmup is not None else min(WARMUP_TURNS, max(1, turns // 5))
    if not 1 <= warm < turns:
        raise ValueError(f"the warm-up ({warm} turns) must be shorter than the soak ({turns} turns)")
    every = min(SAMPLE_EVERY, warm)
    if pipeline is not None:
        return asyncio.run(_play(pipeline, turns, warm, every, progress))
    with tempfile.TemporaryDirectory(prefix="voicebot-soak-") as tmp:
        built = soak_pipeline(settings, Path(tmp))
        try:
            return asyncio.run(_play(built, turns, warm, every, progress))
        finally:
            built.store.close()

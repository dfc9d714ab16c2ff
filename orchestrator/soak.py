"""A soak: many text turns through one pipeline, watching memory and open files.

The caller plays the load test's conversations one after another, each in a
new session, as a long-lived app process would. After a warm-up (model
arenas, caches and the allocator settle) the resident set may grow by less
than ``RSS_GROWTH_LIMIT_PCT`` and the number of open file descriptors must
not grow at all: a leak of either shows up here long before production.
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
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.trace import JsonlSink, Tracer

__all__ = ["RSS_GROWTH_LIMIT_PCT", "run_soak", "soak_pipeline"]

RSS_GROWTH_LIMIT_PCT = 5.0


def soak_pipeline(settings: Settings, scratch: Path) -> Pipeline:
    """The configured backends on a scratch SQLite store, log and audit trail; no semantic cache."""
    from orchestrator.runtime import build_pipeline

    return build_pipeline(
        settings.model_copy(update={"cache": False}),
        store=SqliteSessionStore(scratch / "sessions.db"),
        tracer=Tracer([JsonlSink(scratch / "logs"), AuditSink(scratch / "audit", load_audit_key(scratch))]),
    )


def _sample(process: psutil.Process) -> tuple[float, int]:
    return process.memory_info().rss / 2**20, process.num_fds()


async def _play(pipeline: Pipeline, turns: int, warmup: int, every: int,
                progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    process = psutil.Process()
    series: list[dict[str, float]] = []
    errors = done = 0
    started = time.perf_counter()
    base: tuple[float, int] | None = None
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
            if done == warmup:
                base = _sample(process)
            if done % every == 0 or done == turns:
                rss, fds = _sample(process)
                series.append({"turn": done, "rss_mb": round(rss, 1), "fds": fds})
            if progress is not None:
                progress(done, turns)
        call += 1
    end_rss, end_fds = _sample(process)
    base_rss, base_fds = base or (end_rss, end_fds)
    after = [s for s in series if s["turn"] >= warmup]
    growth = (end_rss - base_rss) / base_rss * 100.0
    return {
        "turns": turns,
        "warmup_turns": warmup,
        "errors": errors,
        "wall_s": round(time.perf_counter() - started, 1),
        "rss_mb_after_warmup": round(base_rss, 1),
        "rss_mb_end": round(end_rss, 1),
        "rss_mb_max_after_warmup": max((s["rss_mb"] for s in after), default=round(end_rss, 1)),
        "rss_growth_pct": round(growth, 2),
        "fds_after_warmup": base_fds,
        "fds_end": end_fds,
        "fds_max_after_warmup": max((int(s["fds"]) for s in after), default=end_fds),
        "rss_growth_limit_pct": RSS_GROWTH_LIMIT_PCT,
        "rss_ok": growth < RSS_GROWTH_LIMIT_PCT,
        "fds_flat": end_fds <= base_fds,
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
    """Play ``turns`` text turns and report RSS and open-descriptor growth after ``warmup`` turns (10 %)."""
    warm = warmup if warmup is not None else max(20, turns // 10)
    every = max(1, turns // 20)
    if pipeline is not None:
        return asyncio.run(_play(pipeline, turns, warm, every, progress))
    with tempfile.TemporaryDirectory(prefix="voicebot-soak-") as tmp:
        built = soak_pipeline(settings, Path(tmp))
        try:
            return asyncio.run(_play(built, turns, warm, every, progress))
        finally:
            built.store.close()

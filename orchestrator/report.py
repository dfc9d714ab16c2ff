"""The analytics report: a pandas summary (Markdown and CSV) and matplotlib plots (PNG).

Built from the recorded events (JSONL logs or Redis Streams): one row per turn with its intent, state and
stage timings. Containment is the share of finished sessions (goodbye or
handoff) that ended without a handoff. The cache hit rate is the reply
audio cache's (a semantic cache will add its own).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

from orchestrator.events import TIMINGS, Event
from orchestrator.fsutil import atomic_write_bytes, atomic_write_text
from orchestrator.turnview import turn_views

if TYPE_CHECKING:
    from orchestrator.eventsource import EventSource

__all__ = ["STAGES", "Report", "build_report", "session_waterfall", "turns_frame", "waterfall_png", "write_report"]

STAGES = tuple(t for t in TIMINGS if t != "tts_first_audio")
_COLORS = {"audio": "#8e6bbf", "stt": "#d9822b", "dialog": "#2b8a3e", "tts": "#1f5fa8"}


def turns_frame(events: list[Event]) -> pd.DataFrame:
    """One row per finished turn: session, turn, kind, ok, intent, state, cached pieces and stage ms."""
    rows = []
    for view in turn_views(events):
        if view.ended is None:
            continue
        row: dict[str, Any] = {"session": view.session_id, "turn": view.turn, "ok": view.ended.ok}
        if view.input_kind is not None:
            row["input_kind"] = view.input_kind
        if view.reply is not None:
            row["intent"], row["state"] = view.reply.intent, view.reply.state
        if view.pieces:
            row["pieces"], row["cached_pieces"] = len(view.pieces), sum(int(p.cached) for p in view.pieces)
        row.update({f"{stage}_ms": view.ended.timings_ms[stage] for stage in STAGES if stage in view.ended.timings_ms})
        rows.append(row)
    columns = ["session", "turn", "input_kind", "ok", "intent", "state", "pieces", "cached_pieces",
               *[f"{s}_ms" for s in STAGES]]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["session", "turn"]).reset_index(drop=True)


@dataclass
class Report:
    """The computed figures and the frames behind them."""

    summary: dict[str, Any]
    turns: pd.DataFrame
    stages: pd.DataFrame
    intents: pd.DataFrame


def build_report(events: list[Event]) -> Report:
    """Turns, sessions, p50/p95 per stage, intents, containment, handoffs and cache hit rate."""
    turns = turns_frame(events)
    stage_rows = []
    for stage in STAGES:
        column = turns.get(f"{stage}_ms", pd.Series(dtype=float)).dropna().astype(float)
        if len(column):
            stage_rows.append({"stage": stage, "turns": len(column), "p50_ms": round(column.quantile(0.5), 1),
                               "p95_ms": round(column.quantile(0.95), 1), "max_ms": round(column.max(), 1)})
    stages = pd.DataFrame(stage_rows, columns=["stage", "turns", "p50_ms", "p95_ms", "max_ms"])
    intents = (turns["intent"].dropna().value_counts().rename_axis("intent").reset_index(name="turns")
               if len(turns) else pd.DataFrame(columns=["intent", "turns"]))
    finals = turns[turns["state"].isin(["ended", "handoff"])].drop_duplicates("session") if len(turns) else turns
    handoffs = int((finals["state"] == "handoff").sum()) if len(finals) else 0
    pieces = int(turns["pieces"].fillna(0).sum()) if len(turns) else 0
    cached = int(turns["cached_pieces"].fillna(0).sum()) if len(turns) else 0
    summary = {
        "sessions": int(turns["session"].nunique()) if len(turns) else 0,
        "turns": len(turns),
        "failed_turns": int((~turns["ok"].astype(bool)).sum()) if len(turns) else 0,
        "finished_sessions": len(finals),
        "handoffs": handoffs,
        "containment": round(1 - handoffs / len(finals), 4) if len(finals) else None,
        "tts_cache_hit_rate": round(cached / pieces, 4) if pieces else None,
        "stages": stages.to_dict("records"),
        "intents": dict(zip(intents["intent"], intents["turns"].astype(int), strict=True)),
    }
    return Report(summary, turns, stages, intents)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def waterfall_png(turns: pd.DataFrame, title: str = "Latency per turn") -> bytes:
    """Stacked horizontal bars: each turn's stages in the order they ran."""
    shown = turns.tail(30)
    figure = Figure(figsize=(7, max(2.0, 0.35 * len(shown) + 1)))
    axes = figure.add_subplot()
    labels = [f"{s[-8:]} #{t}" for s, t in zip(shown["session"], shown["turn"], strict=True)]
    left = [0.0] * len(shown)
    for stage in ("audio", "stt", "dialog", "tts"):
        values = shown.get(f"{stage}_ms", pd.Series([0.0] * len(shown))).fillna(0.0).astype(float).tolist()
        axes.barh(labels, values, left=left, color=_COLORS[stage], label=stage)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("milliseconds")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def _histograms_png(turns: pd.DataFrame) -> bytes:
    stages = [s for s in STAGES if f"{s}_ms" in turns and turns[f"{s}_ms"].notna().any()]
    figure = Figure(figsize=(3 * max(1, len(stages)), 3))
    for index, stage in enumerate(stages, start=1):
        axes = figure.add_subplot(1, max(1, len(stages)), index)
        axes.hist(turns[f"{stage}_ms"].dropna().astype(float), bins=20, color=_COLORS.get(stage, "#555"))
        axes.set_title(stage)
        axes.set_xlabel("ms")
    figure.tight_layout()
    return _png(figure)


def _intents_png(intents: pd.DataFrame) -> bytes:
    figure = Figure(figsize=(6, 3))
    axes = figure.add_subplot()
    axes.bar(intents["intent"].astype(str), intents["turns"].astype(int), color="#1f5fa8")
    axes.set_title("Intent distribution")
    axes.tick_params(axis="x", rotation=45, labelsize=8)
    figure.tight_layout()
    return _png(figure)


def _markdown(report: Report) -> str:
    s = report.summary
    lines = [
        "# VoiceBot report", "",
        f"- sessions: {s['sessions']}, turns: {s['turns']} ({s['failed_turns']} failed)",
        f"- finished sessions: {s['finished_sessions']}, handoffs: {s['handoffs']}, containment: {s['containment']}",
        f"- reply audio cache hit rate: {s['tts_cache_hit_rate']}", "",
        "## Latency per stage (ms)", "", "| stage | turns | p50 | p95 | max |", "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['stage']} | {r['turns']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} |"
              for r in s["stages"]]
    lines += ["", "## Intents", "", "| intent | turns |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in s["intents"].items()]
    lines += ["", "![latency waterfall](waterfall.png)", "", "![stage histograms](histograms.png)", "",
              "![intents](intents.png)", ""]
    return "\n".join(lines)


def write_report(report: Report, out: Path) -> list[Path]:
    """Write summary.md, turns.csv, stages.csv, intents.csv and three PNGs into ``out`` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "summary.md": _markdown(report).encode("utf-8"),
        "turns.csv": report.turns.to_csv(index=False).encode("utf-8"),
        "stages.csv": report.stages.to_csv(index=False).encode("utf-8"),
        "intents.csv": report.intents.to_csv(index=False).encode("utf-8"),
        "waterfall.png": waterfall_png(report.turns),
        "histograms.png": _histograms_png(report.turns),
        "intents.png": _intents_png(report.intents),
    }
    written = []
    for name, data in files.items():
        path = out / name
        if name.endswith((".md", ".csv")):
            atomic_write_text(path, data.decode("utf-8"))
        else:
            atomic_write_bytes(path, data)
        written.append(path)
    return written


def session_waterfall(source: EventSource | Path, session_id: str) -> bytes | None:
    """The latency waterfall of one session (what the browser shows), or None before its first turn."""
    from orchestrator.logquery import LogFilter, iter_events

    turns = turns_frame(list(iter_events(source, LogFilter(session=session_id))))
    if not len(turns):
        return None
    return waterfall_png(turns, title=f"Latency per turn, session {session_id}")

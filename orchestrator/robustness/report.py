"""The robustness report as CSV and as one self-contained HTML page.

The page inlines everything (heat maps as base64 PNGs, the worst turn of each
failing cell as a base64 WAV in an ``<audio>`` player), so it can be mailed or
kept as a CI artifact. Every text from a run is escaped.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from typing import Any

from matplotlib.figure import Figure

from orchestrator.robustness.matrix import metric_value

__all__ = ["HEATMAPS", "render_csv", "render_html"]

# (metric, title, higher is better)
HEATMAPS = (
    ("wer", "WER (lower is better)", False),
    ("intent_accuracy", "Intent accuracy", True),
    ("slot_accuracy", "Slot accuracy", True),
    ("task_success", "Task success", True),
    ("v2v_p95", "Voice-to-voice p95 ms", False),
)
_CSV_FIELDS = ("persona", "perturbation", "wer", "intent_accuracy", "slot_accuracy", "task_success",
               "v2v_p50_ms", "v2v_p95_ms", "spoken_turns", "runs")


def render_csv(report: dict[str, Any]) -> str:
    """One row per cell (the real clips' rows carry WER only)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_CSV_FIELDS)
    for persona, cells in report["matrix"].items():
        for name, cell in cells.items():
            v2v = cell.get("voice_to_voice_ms") or {}
            writer.writerow([persona, name, cell.get("wer"), cell.get("intent_accuracy"), cell.get("slot_accuracy"),
                             cell.get("task_success"), v2v.get("p50"), v2v.get("p95"), cell.get("spoken_turns"),
                             cell.get("runs")])
    for name, row in (report.get("real_clips") or {}).items():
        writer.writerow(["real-clips", name, row.get("wer"), "", "", "", "", "", len(row.get("clips", [])), ""])
    return buf.getvalue()


def _heatmap(report: dict[str, Any], metric: str, title: str, higher_better: bool) -> str:
    personas = list(report["matrix"])
    names = report["perturbations"]
    grid = [[metric_value(report["matrix"][p].get(n, {}), metric) for n in names] for p in personas]
    numbers = [[v if v is not None else float("nan") for v in row] for row in grid]
    fig = Figure(figsize=(1.6 + 1.25 * len(names), 1.2 + 0.55 * len(personas)), dpi=100)
    ax = fig.subplots()
    cmap = "RdYlGn" if higher_better else "RdYlGn_r"
    finite = [v for row in grid for v in row if v is not None]
    top = max([*finite, 1.0]) if metric.startswith("v2v_") else 1.0
    image = ax.imshow(numbers, cmap=cmap, vmin=0.0, vmax=top, aspect="auto")
    ax.set_xticks(range(len(names)), labels=names, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(personas)), labels=personas, fontsize=8)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            text = "-" if value is None else (f"{value:.0f}" if metric.startswith("v2v_") else f"{value:.2f}")
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _worst_block(worst: dict[str, Any]) -> str:
    e = html.escape
    audio = worst.get("audio_wav_b64")
    player = f'<audio controls src="data:audio/wav;base64,{audio}"></audio>' if audio else "<em>no audio</em>"
    failures = "".join(f"<li>{e(f)}</li>" for f in worst.get("failed_checks", [])) or "<li>none</li>"
    return (
        f"<div class='worst'><h3>{e(worst['persona'])} / {e(worst['perturbation'])}</h3>"
        f"<p><b>scenario</b> {e(worst['scenario'])}, turn {worst['turn'] + 1}</p>"
        f"<p><b>said</b> {e(worst['said'])}</p><p><b>heard</b> {e(str(worst.get('transcript')))}</p>"
        f"<p><b>reply</b> {e(str(worst.get('reply')))}</p><p>{player}</p><ul>{failures}</ul></div>"
    )


def render_html(report: dict[str, Any], worst_turns: list[dict[str, Any]]) -> str:
    """The page: settings, heat maps, the failing cells' worst turns, the real clips' WER, the gates."""
    e = html.escape
    maps = "".join(
        f"<figure><img alt='{e(title)}' src='data:image/png;base64,{_heatmap(report, m, title, hb)}'></figure>"
        for m, title, hb in HEATMAPS
    )
    worst = "".join(_worst_block(w) for w in worst_turns) or "<p>No cell failed.</p>"
    real = report.get("real_clips") or {}
    real_rows = "".join(
        f"<tr><td>{e(name)}</td><td>{row.get('wer')}</td><td>{len(row.get('clips', []))}</td></tr>"
        for name, row in real.items()
    )
    real_table = (
        f"<table><tr><th>perturbation</th><th>WER</th><th>clips</th></tr>{real_rows}</table>" if real_rows
        else "<p>No real clips were played.</p>"
    )
    gates = "".join(f"<li>{e(g)}</li>" for g in report.get("gate_failures", [])) or "<li>all held</li>"
    verdict = "PASS" if report.get("passed") else "FAIL"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Robustness matrix</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; }}
.worst {{ border-left: 4px solid #c33; padding-left: 1em; margin-bottom: 1em; }}
</style></head><body>
<h1>Robustness matrix: {verdict}</h1>
<p>Scenarios: {e(", ".join(report["scenarios"]))}. Personas: {e(", ".join(report["matrix"]))}.
Repeats: {report["repeat"]}, seed {report["seed"]}. Backends: {e(str(report.get("backends", {})))}.</p>
<h2>Heat maps</h2>{maps}
<h2>Failing cells: the worst turn of each</h2>{worst}
<h2>Real recordings</h2>{real_table}
<h2>Gates and baseline</h2><ul>{gates}</ul>
</body></html>
"""

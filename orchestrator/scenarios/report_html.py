"""A self-contained HTML report: every scenario, every turn, and a timeline of its stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from orchestrator.fsutil import atomic_write_bytes
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.runner import ScenarioRun
from orchestrator.scenarios.suite import pass_rates

__all__ = ["html_report", "write_html"]

# Stages in the order they run; tts_first_audio overlaps tts, so it is drawn as a marker.
_STAGES = (("audio", "#8e6bbf"), ("stt", "#d9822b"), ("dialog", "#2b8a3e"), ("tts", "#1f5fa8"))

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VoiceBot scenario report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:2em}
.pass{color:#2b8a3e}.fail{color:#c92a2a}.notrun{color:#868e96}
.flaky{background:#fff3bf;color:#e67700;padding:0 .4em;border-radius:3px;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
.timeline{position:relative;height:16px;background:#f3f3f3;min-width:300px}
.bar{position:absolute;top:0;height:16px}
.marker{position:absolute;top:-2px;width:2px;height:20px;background:#000}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
ul.checks{margin:0;padding-left:1.2em}
</style></head><body>
<h1>VoiceBot scenario report</h1>
<p>{{ passed }} of {{ runs|length }} runs passed{% if gate_failures %};
<span class="fail">{{ gate_failures|length }} gate/baseline failure(s)</span>{% endif %}.</p>
{% if gate_failures %}<ul>{% for g in gate_failures %}<li class="fail">{{ g }}</li>{% endfor %}</ul>{% endif %}
<p class="legend">{% for name, color in stages %}<span style="background:{{ color }}"></span>{{ name }}{% endfor %}
<span style="background:#000;width:2px"></span>first audio</p>
{% for run in runs %}
<h2 class="{{ 'pass' if run.passed else 'fail' }}">{{ 'PASS' if run.passed else 'FAIL' }} {{ run.name }}
{% if run.repeat %}(repeat {{ run.repeat + 1 }}){% endif %}
{% if 0 < rates[run.name] < 1 %}<span class="flaky">FLAKY: passed {{ '%.0f'|format(100 * rates[run.name]) }}% of
its runs</span>{% endif %}</h2>
<p>{{ run.path }} · session {{ run.session_id }} · {{ '%.0f'|format(run.wall_ms) }} ms
{%- if run.audio_mode %} · audio mode{% endif %}</p>
{% if run.goal %}<p>goal: persona {{ run.goal.persona }}, seed {{ run.goal.seed }}, {{ run.goal.outcome }} after
{{ run.goal.caller_turns }} caller turns ({{ run.goal.detail }})</p>{% endif %}
<table><tr><th>#</th><th>caller</th><th>bot</th><th>timeline</th><th>checks</th></tr>
{% for t in run.turns %}{% set r = t.result %}
<tr><td>{{ t.index + 1 }}</td>
<td>[{{ t.input_kind }}] {{ t.user }}{% if r and r.transcript %}<br><i>heard: {{ r.transcript }}</i>{% endif %}</td>
<td>{% if r %}{{ r.reply }}<br><small>intent {{ r.intent }}, state {{ r.state }}</small>{% else %}
<span class="fail">{{ t.error }}</span>{% endif %}</td>
<td>{% if r %}{% set tl = timeline(r) %}<div class="timeline" title="total {{ tl.total }} ms">
{% for bar in tl.bars %}<div class="bar" style="left:{{ bar.left }}%;width:{{ bar.width }}%;background:{{ bar.color }}"
 title="{{ bar.name }} {{ bar.ms }} ms"></div>{% endfor %}
{% if tl.first_audio is not none %}<div class="marker" style="left:{{ tl.first_audio }}%"></div>{% endif %}
</div><small>{{ tl.legend }}</small>{% endif %}</td>
<td><ul class="checks">{% for c in t.checks %}{{ check(c) }}{% endfor %}</ul></td></tr>
{% endfor %}</table>
{% if run.checks %}<ul class="checks">{% for c in run.checks %}{{ check(c) }}{% endfor %}</ul>{% endif %}
{% endfor %}
</body></html>
"""

_MACROS = """{% macro check(c) -%}
<li class="{{ {'passed': 'pass', 'failed': 'fail', 'not_run': 'notrun'}[c.status] }}">
{{ '&#8211;'|safe if c.not_run else '✓' if c.passed else '✗' }} {{ c.name }}
{%- if c.not_run or not c.passed or 'judge' in c.name %}: {{ c.detail }}{% endif %}</li>
{%- endmacro %}"""
_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def timeline(result: TurnResult) -> dict[str, Any]:
    """Bars (percent of the turn's total) for each stage in order, and where the first audio came."""
    timings = result.timings_ms
    total = timings.get("total") or 1.0
    bars, x = [], 0.0
    for name, color in _STAGES:
        if name in timings:
            ms = timings[name]
            bars.append({"name": name, "color": color, "ms": ms,
                         "left": round(100 * x / total, 2), "width": round(100 * ms / total, 2)})
            x += ms
    first = None
    if "tts_first_audio" in timings:
        before = sum(timings.get(k, 0.0) for k in ("audio", "stt", "dialog"))
        first = round(min(100.0, 100 * (before + timings["tts_first_audio"]) / total), 2)
    legend = ", ".join(f"{k} {v}" for k, v in timings.items()) + " ms"
    return {"total": timings.get("total"), "bars": bars, "first_audio": first, "legend": legend}


def html_report(runs: list[ScenarioRun], gate_failures: list[str]) -> str:
    """The report as one HTML string (all text escaped, no external assets)."""
    template = _ENV.from_string(_MACROS + _TEMPLATE)
    return template.render(
        runs=runs, gate_failures=gate_failures, stages=_STAGES, passed=sum(r.passed for r in runs), timeline=timeline,
        rates=pass_rates(runs),
    )


def write_html(path: Path, runs: list[ScenarioRun], gate_failures: list[str]) -> None:
    """Write the report atomically."""
    atomic_write_bytes(path, html_report(runs, gate_failures).encode("utf-8"))

"""voicebot report: figures computed from real logs, files written, errors exit 2."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.logquery import LogFilter, iter_events
from orchestrator.report import build_report, session_waterfall
from tests.conftest import make_pipeline

CALLS = {"r-1": ["hello", "goodbye"], "r-2": ["I want to speak to a human agent"], "r-3": ["I'd like a loan"]}


@pytest.fixture
def logged(fake_settings, monkeypatch):
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))

    async def go() -> None:
        pipeline = make_pipeline(fake_settings)
        try:
            for sid, texts in CALLS.items():
                for text in texts:
                    await pipeline.run_turn(sid, text=text)
        finally:
            pipeline.store.close()

    asyncio.run(go())
    return fake_settings


def test_the_summary_counts_turns_intents_containment_and_latency(logged):
    report = build_report(list(iter_events(logged.logs_dir, LogFilter())))
    s = report.summary
    assert (s["sessions"], s["turns"], s["failed_turns"]) == (3, 4, 0)
    assert (s["finished_sessions"], s["handoffs"], s["containment"]) == (2, 1, 0.5)
    assert s["intents"] == {"greeting": 1, "goodbye": 1, "human_handoff": 1, "loan_quote": 1}
    dialog = next(r for r in s["stages"] if r["stage"] == "dialog")
    column = report.turns["dialog_ms"].astype(float)
    assert dialog["turns"] == 4 and dialog["p50_ms"] == round(column.quantile(0.5), 1)
    assert 0 <= s["tts_cache_hit_rate"] <= 1


def test_the_cli_writes_markdown_csv_and_png(logged, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["turns"] == 4
    assert {p.name for p in out.iterdir()} == {"summary.md", "turns.csv", "stages.csv", "intents.csv",
                                               "waterfall.png", "histograms.png", "intents.png"}
    assert pd.read_csv(out / "turns.csv").shape[0] == 4
    assert "containment: 0.5" in (out / "summary.md").read_text()
    for png in ("waterfall.png", "histograms.png", "intents.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    one = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "one"), "--session", "r-2", "--json"])
    assert json.loads(one.stdout)["turns"] == 1


@pytest.mark.parametrize(("args", "message"), [(["--since", "1m-ish"], "bad time"), (["--session", "../x"], "invalid"),
                                               (["--session", "nobody"], "no log for session")])
def test_bad_requests_exit_2(logged, tmp_path, args, message):
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and message in result.output


def test_the_session_waterfall_for_the_browser(logged):
    assert session_waterfall(logged.logs_dir, "r-1")[:4] == b"\x89PNG"

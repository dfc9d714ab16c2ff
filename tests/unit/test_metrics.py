"""Prometheus metrics from events: counted right, rebuilt from logs, served by the CLI and on a FastAPI app."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.errors import EmptyTextError
from orchestrator.metrics import MetricsSink, registry_from_logs, render
from orchestrator.ui.metrics_route import install_metrics_route
from tests.conftest import REPO_ROOT, make_pipeline


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if not s.name.endswith("_created"):  # creation timestamps differ between registries
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def run_calls(settings: Settings, sink: MetricsSink | None = None) -> None:
    async def go() -> None:
        pipeline = make_pipeline(settings)
        if sink is not None:
            pipeline.tracer.add_sink(sink)
        try:
            for sid, texts in {"m-1": ["hello", "goodbye"], "m-2": ["I want to speak to a human agent"],
                               "m-3": ["I'd like a loan"]}.items():
                for text in texts:
                    await pipeline.run_turn(sid, text=text)
            with pytest.raises(EmptyTextError):
                await pipeline.run_turn("m-3", text="  ")
        finally:
            pipeline.store.close()

    asyncio.run(go())


def test_the_live_sink_counts_turns_errors_handoffs_and_containment(fake_settings):
    sink = MetricsSink()
    run_calls(fake_settings, sink)
    got = samples(render(sink.registry).decode())
    assert got[("voicebot_turns_total", (("input_kind", "text"), ("outcome", "ok")))] == 4
    assert got[("voicebot_turns_total", (("input_kind", "text"), ("outcome", "error")))] == 1
    assert got[("voicebot_errors_total", (("category", "empty_text"), ("stage", "input")))] == 1
    assert got[("voicebot_handoffs_total", ())] == 1
    assert got[("voicebot_contained_total", ())] == 1
    assert got[("voicebot_containment_ratio", ())] == 0.5
    assert got[("voicebot_stage_latency_seconds_count", (("stage", "dialog"),))] == 4
    assert got[("voicebot_intents_total", (("intent", "greeting"),))] == 1


def test_the_logs_give_the_same_metrics(fake_settings):
    sink = MetricsSink()
    run_calls(fake_settings, sink)
    assert samples(render(registry_from_logs(fake_settings.logs_dir)).decode()) == samples(
        render(sink.registry).decode()
    )


def test_metrics_show_prints_the_exposition(fake_settings, monkeypatch):
    run_calls(fake_settings)
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    result = CliRunner().invoke(app, ["metrics", "show"])
    assert result.exit_code == 0
    assert "voicebot_turns_total" in result.stdout and "voicebot_stage_latency_seconds_bucket" in result.stdout


def test_metrics_serve_is_scraped_over_http(fake_settings):
    run_calls(fake_settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "VOICEBOT_HOME": str(fake_settings.home), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", "metrics", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    body = response.read().decode()
                    assert response.headers["Content-Type"].startswith("text/plain")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert samples(body)[("voicebot_handoffs_total", ())] == 1
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_route_wins_over_a_catch_all_frontend_route():
    web = FastAPI()

    @web.get("/{full_path:path}")
    def frontend(full_path: str) -> str:
        return "the single-page app"

    sink = MetricsSink()
    install_metrics_route(web, sink)
    response = TestClient(web).get("/metrics")
    assert response.status_code == 200 and "voicebot_turns_total" in response.text
    assert TestClient(web).get("/chat").json() == "the single-page app"

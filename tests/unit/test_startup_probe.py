"""The start-up probe: the app's start measured in a process of its own, with each model's load."""

from __future__ import annotations

from orchestrator import runtime
from orchestrator.config import Settings
from orchestrator.startup import measure_startup


def test_the_probe_reports_the_apps_start_from_a_fresh_process(fake_settings: Settings) -> None:
    report = measure_startup(fake_settings.model_dump_json())

    assert "error" not in report, report
    marks = report["marks_s"]
    order = ["process_start_to_main", "chainlit_imported", "orchestrator_imported", "models_loaded",
             "models_warm", "phrases_cached", "two_turns_played"]
    assert [marks[k] for k in order] == sorted(marks[k] for k in order)
    assert marks["models_warm"] <= report["startup_to_ready_s"] <= marks["phrases_cached"]
    assert report["peak_rss_mb"] >= report["peak_rss_at_ready_mb"] > 0
    assert {"stt:fake", "tts:fake", "llm:rules", "vad:silero"} <= set(report["model_loads"])
    assert report["torch_imported"] is False  # fakes, keyword intents, hashing cache: nothing needs it


def test_a_probe_that_cannot_start_reports_an_error_line_not_figures() -> None:
    report = measure_startup('{"stt": "whisper-huge"}')

    assert set(report) == {"error"}
    assert "could not start the stack" in report["error"] and "whisper-huge" in report["error"]


def test_each_load_is_timed_under_its_kind_and_name() -> None:
    runtime._cached(("test-timing", "probe"), lambda: object())

    timing = runtime.load_timings()["test-timing:probe"]
    assert timing["s"] >= 0 and timing["start"] > 0

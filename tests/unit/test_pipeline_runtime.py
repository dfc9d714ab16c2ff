"""Runtime wiring: build_pipeline on fake settings, and backends loaded once per process."""

from __future__ import annotations

from orchestrator.runtime import build_pipeline, load_backends
from tests.unit.pipeline_helpers import (
    FIRST_GREETING,
)


async def test_build_pipeline_on_fake_settings_runs_a_turn(fake_settings):
    pipeline = build_pipeline(fake_settings, warm=False)
    try:
        result = await pipeline.run_turn("s-built", text="hello")
    finally:
        pipeline.store.close()

    assert pipeline.backends == {"stt": "fake", "tts": "fake", "llm": "rules"}
    assert result.reply == FIRST_GREETING
    assert (fake_settings.logs_dir / "s-built.jsonl").exists()


def test_backends_are_loaded_once_per_process_for_the_same_settings(fake_settings):
    first = load_backends(fake_settings)
    second = load_backends(fake_settings.model_copy())

    assert all(a is b for a, b in zip(first, second, strict=True))

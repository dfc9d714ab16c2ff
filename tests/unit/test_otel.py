"""OpenTelemetry: off by default; when on, each turn becomes session -> turn -> stage spans."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orchestrator.errors import ConfigError
from orchestrator.otel import OtelSink, make_otel_sink
from orchestrator.runtime import default_tracer
from tests.conftest import make_pipeline
from tests.unit.helpers import tone, wav_bytes


def test_it_is_off_by_default_and_refuses_unknown_modes(fake_settings):
    assert fake_settings.otel == "off" and make_otel_sink("off") is None
    assert not any(isinstance(s, OtelSink) for s in default_tracer(fake_settings, live=False).sinks)
    with pytest.raises(ConfigError, match="VOICEBOT_OTEL"):
        make_otel_sink("zipkin")
    assert isinstance(make_otel_sink("console"), OtelSink)


def test_turns_become_nested_spans(fake_settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def call() -> None:
        pipeline = make_pipeline(fake_settings)
        pipeline.tracer.add_sink(OtelSink(provider))
        try:
            await pipeline.run_turn("ot-1", audio=wav_bytes(tone(1.0)))
            await pipeline.run_turn("ot-1", text="goodbye")
        finally:
            pipeline.store.close()

    asyncio.run(call())
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {"session", "turn 1", "turn 2", "audio", "stt", "dialog", "tts"} <= set(spans)
    session, first = spans["session"], spans["turn 1"]
    assert first.parent is not None and first.parent.span_id == session.context.span_id
    assert spans["stt"].parent.span_id == first.context.span_id
    assert spans["turn 2"].attributes["voicebot.intent"] == "goodbye"
    assert session.end_time >= spans["turn 2"].end_time
    assert all(s.start_time <= s.end_time for s in spans.values())

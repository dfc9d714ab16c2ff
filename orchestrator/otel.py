"""OpenTelemetry export of the event stream: session -> turn -> stage spans (off by default).

``VOICEBOT_OTEL=console`` prints spans; ``VOICEBOT_OTEL=otlp`` sends them to
``VOICEBOT_OTEL_ENDPOINT`` (OTLP over HTTP). Spans are built from the
events' own timestamps after each turn ends, so exporting never slows a
turn. Events are already redacted by the tracer.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime
from typing import Any

from orchestrator.errors import ConfigError
from orchestrator.events import Event, TurnEnded, closes_stage, event_ms, event_stage
from orchestrator.turnview import TurnView

__all__ = ["OtelSink", "make_otel_sink"]

def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


class OtelSink:
    """A tracer sink that turns each finished turn into spans under its session's root span."""

    def __init__(self, tracer_provider: Any) -> None:
        self._tracer = tracer_provider.get_tracer("voicebot")
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], list[Event]] = defaultdict(list)
        self._sessions: dict[str, Any] = {}

    def __call__(self, event: Event) -> None:
        with self._lock:
            key = (event.session_id, event.turn)
            self._pending[key].append(event)
            if isinstance(event, TurnEnded):
                self._export(self._pending.pop(key))

    def _session_span(self, first: Event) -> Any:
        span = self._sessions.get(first.session_id)
        if span is None:
            span = self._tracer.start_span("session", start_time=_ns(first.wall_time),
                                           attributes={"voicebot.session_id": first.session_id})
            self._sessions[first.session_id] = span
        return span

    def _export(self, events: list[Event]) -> None:
        from opentelemetry import trace

        view = TurnView.of(events)
        started = view.started or events[0]
        ended = view.ended
        assert ended is not None
        session = self._session_span(started)
        context = trace.set_span_in_context(session)
        attributes: dict[str, Any] = {"voicebot.turn": ended.turn, "voicebot.ok": ended.ok}
        reply = view.reply
        if reply is not None:
            attributes.update({"voicebot.intent": reply.intent, "voicebot.state": reply.state})
        turn = self._tracer.start_span(f"turn {ended.turn}", context=context, start_time=_ns(started.wall_time),
                                       attributes=attributes)
        turn_context = trace.set_span_in_context(turn)
        for event in events:
            ms = event_ms(event)
            if not closes_stage(event) or ms is None:
                continue
            end = _ns(event.wall_time)
            span = self._tracer.start_span(event_stage(event), context=turn_context, start_time=end - int(ms * 1e6))
            span.end(end_time=end)
        for error in view.errors:
            turn.add_event("error", {"stage": error.stage, "category": error.category, "message": error.message})
        turn.end(end_time=_ns(ended.wall_time))
        if reply is not None and reply.state in ("ended", "handoff"):
            self._sessions.pop(ended.session_id).end(end_time=_ns(ended.wall_time))


def make_otel_sink(mode: str, endpoint: str | None = None) -> OtelSink | None:
    """The sink for ``VOICEBOT_OTEL`` (off, console or otlp); None when off."""
    mode = mode.strip().lower()
    if mode in ("", "off", "false", "0"):
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": "voicebot"}))
    if mode == "console":
        exporter: Any = ConsoleSpanExporter()
    elif mode == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
    else:
        raise ConfigError(f"unknown VOICEBOT_OTEL {mode!r}: use off, console or otlp")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return OtelSink(provider)

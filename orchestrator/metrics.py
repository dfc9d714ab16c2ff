"""Prometheus metrics from the event stream: latency per stage, turns, errors, handoffs, containment.

``MetricsSink`` is a tracer sink: the app feeds it live and serves
``/metrics``. ``registry_from_logs`` rebuilds the same metrics from the
JSONL logs on disk, which is what ``voicebot metrics serve`` exposes for
every process that wrote there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from orchestrator.events import (
    TIMINGS,
    CacheLookup,
    DialogReply,
    ErrorEvent,
    Event,
    TTSChunk,
    TurnEnded,
    TurnStarted,
    event_stage,
)
from orchestrator.logquery import LogFilter, iter_events

if TYPE_CHECKING:
    from orchestrator.eventsource import EventSource

__all__ = ["CONTENT_TYPE", "MetricsSink", "registry_from_logs", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
_HANDOFF_STATE = "handoff"
_ENDED_STATE = "ended"


class MetricsSink:
    """Updates Prometheus metrics for every event it is given (thread-safe)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.latency = Histogram("voicebot_stage_latency_seconds", "Time spent in each pipeline stage.",
                                 ["stage"], buckets=_BUCKETS, registry=r)
        self.turns = Counter("voicebot_turns_total", "Turns finished, by input kind and outcome (ok, error, cut).",
                             ["input_kind", "outcome"], registry=r)
        self.errors = Counter("voicebot_errors_total", "Failed turns, by error category and stage.",
                              ["category", "stage"], registry=r)
        self.intents = Counter("voicebot_intents_total", "Dialog replies, by intent.", ["intent"], registry=r)
        self.cache = Counter("voicebot_tts_cache_total", "Reply pieces served from the TTS cache or synthesised.",
                             ["result"], registry=r)
        self.semantic = Counter("voicebot_semantic_cache_total",
                                "Turns by semantic cache outcome: hit, miss (looked up, not served) or skipped.",
                                ["result"], registry=r)
        self.handoffs = Counter("voicebot_handoffs_total", "Sessions handed over to a person.", registry=r)
        self.contained = Counter("voicebot_contained_total", "Sessions the bot ended itself (no handoff).",
                                 registry=r)
        self.containment = Gauge("voicebot_containment_ratio",
                                 "Share of finished sessions that ended without a handoff.", registry=r)
        self._lock = threading.Lock()
        self._kinds: dict[tuple[str, int], str] = {}
        self._finished: set[str] = set()  # sessions already counted as handed over or contained
        self._handed = self._kept = 0

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._observe(event)

    def _observe(self, event: Event) -> None:
        key = (event.session_id, event.turn)
        if isinstance(event, TurnStarted):
            self._kinds[key] = event.input_kind
        elif isinstance(event, TurnEnded):
            outcome = "ok" if event.ok else "cut" if event.cut else "error"
            self.turns.labels(self._kinds.pop(key, "unknown"), outcome).inc()
            for stage, ms in event.timings_ms.items():
                if stage in TIMINGS:
                    self.latency.labels(stage).observe(ms / 1000.0)
        elif isinstance(event, ErrorEvent):
            self.errors.labels(event.category, event_stage(event)).inc()
        elif isinstance(event, TTSChunk):
            self.cache.labels("hit" if event.cached else "miss").inc()
        elif isinstance(event, CacheLookup):
            looked_up = event.similarity is not None
            self.semantic.labels("hit" if event.cache_hit else "miss" if looked_up else "skipped").inc()
        elif isinstance(event, DialogReply):
            self.intents.labels(event.intent).inc()
            if event.state in (_HANDOFF_STATE, _ENDED_STATE) and event.session_id not in self._finished:
                self._finished.add(event.session_id)
                if event.state == _HANDOFF_STATE:
                    self._handed += 1
                    self.handoffs.inc()
                else:
                    self._kept += 1
                    self.contained.inc()
                self.containment.set(self._kept / (self._kept + self._handed))

    def feed(self, events: Iterable[Event]) -> MetricsSink:
        """Observe many events (e.g. from logs); returns self."""
        for event in events:
            self(event)
        return self


def registry_from_logs(source: EventSource | Path) -> CollectorRegistry:
    """Fresh metrics computed from every session's events (an ``EventSource`` or a directory of JSONL logs)."""
    return MetricsSink().feed(iter_events(source, LogFilter())).registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format."""
    return generate_latest(registry)

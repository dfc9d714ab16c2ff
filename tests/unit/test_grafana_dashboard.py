"""The shipped Grafana dashboard only asks for metrics the service's /metrics exports."""

from __future__ import annotations

import json
import re

from prometheus_client.parser import text_string_to_metric_families

from orchestrator.cache.turns import load_turn_cache
from orchestrator.config import Settings
from tests.conftest import REPO_ROOT, make_pipeline
from tests.service_client import add_key, auth, service_client

DASHBOARD = REPO_ROOT / "ops" / "grafana" / "voicebot-dashboard.json"
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
             "gauge": ("",), "summary": ("_sum", "_count", "_created")}
_NAME = re.compile(r"\bvoicebot_[a-z_]+\b")


def exported_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def test_every_metric_a_panel_queries_is_exported_by_the_services_metrics(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings)
    pipeline.cache = load_turn_cache(fake_settings)
    with service_client(fake_settings, pipeline) as client:
        caller = auth(add_key(fake_settings, "caller"))
        for session, text in (("g-1", "hello"), ("g-1", "what are your opening hours"), ("g-2", "hello"),
                              ("g-2", "what are your opening hours"), ("g-2", "goodbye"),
                              ("g-3", "I want to speak to a person"), ("g-4", " ")):
            client.post(f"/v1/sessions/{session}/turns", json={"text": text}, headers=caller)
        text = client.get("/metrics", headers=auth(add_key(fake_settings, "admin"))).text
    exported = exported_names(text)
    panels = json.loads(DASHBOARD.read_text())["panels"]
    asked = {p["title"]: set().union(*(_NAME.findall(t["expr"]) for t in p["targets"])) for p in panels}
    assert len(asked) == len(panels) and all(asked.values())
    missing = {title: names - exported for title, names in asked.items() if names - exported}
    assert not missing
    # The panels the issue names are all there.
    wanted = {"voicebot_stage_latency_seconds_bucket", "voicebot_turns_total", "voicebot_errors_total",
              "voicebot_containment_ratio", "voicebot_semantic_cache_total", "voicebot_handoffs_total"}
    assert wanted <= set().union(*asked.values())
    # g-2's greeting (served after the disclosure) and its opening hours are both cache hits.
    assert 'voicebot_semantic_cache_total{result="hit"} 2.0' in text

"""The published OpenAPI spec, fuzzed with schemathesis: no 5xx, and every response conforms to the spec.

Bounded for the suite: fake speech backends, ``MAX_EXAMPLES`` cases per
operation (``VOICEBOT_FUZZ_EXAMPLES`` raises it for a longer run). The SSE
route is fuzzed with ``follow=false`` so a generated session that exists
cannot keep the stream open.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from orchestrator.config import Settings
from tests.conftest import make_pipeline
from tests.service_client import add_key

MAX_EXAMPLES = int(os.environ.get("VOICEBOT_FUZZ_EXAMPLES", "15"))
CASES: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


def _service() -> tuple[object, object, str, Path]:
    """The app on fakes in a home of its own (built at import: schemathesis reads the spec to make the tests)."""
    from orchestrator.service import create_app

    home = Path(tempfile.mkdtemp(prefix="voicebot-fuzz-"))
    config = Settings(home=home, stt="fake", tts="fake", llm="rules", intent_classifier="keywords",
                      cache_encoder="hashing", api_rate_limit="100000/minute", max_audio_seconds=5.0)
    config.ensure_dirs()
    pipeline = make_pipeline(config)
    return create_app(config, pipeline=pipeline), pipeline, add_key(config, "admin"), home


APP, PIPELINE, KEY, HOME = _service()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The API ignores query parameters it does not declare, as HTTP APIs commonly do (a client's cache-buster
# must not fail a call): an undeclared extra is no negative data that must be rejected.
schema.config.generation.update(allow_extra_parameters=False)


@pytest.fixture(scope="module", autouse=True)
def _report_and_clean_up() -> Iterator[None]:
    yield
    PIPELINE.store.close()
    shutil.rmtree(HOME, ignore_errors=True)
    print(f"\nschemathesis: {sum(CASES.values())} cases over {len(CASES)} operations; statuses {dict(STATUSES)}")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_spec_and_never_with_a_5xx(case):
    if case.path.endswith("/events"):
        case.query = {**(case.query or {}), "follow": "false"}
    # A turn's body may match the schema and still be unusable (bytes that are no audio, blank text):
    # the schema cannot say "decodable speech", so those 400s are right, and only that check is skipped.
    skipped = [positive_data_acceptance] if case.path.endswith("/turns") else []
    response = case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=skipped)
    CASES[f"{case.method} {case.path}"] += 1
    STATUSES[response.status_code] += 1
    assert response.status_code < 500

"""The vocabulary used once: each event built in one place, typed so mypy catches a wrong field, one stage map."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import get_args

import pytest
from mypy import api as mypy_api

from orchestrator.events import (
    PLACES,
    STAGES,
    AudioReceived,
    ErrorEvent,
    Event,
    EventBase,
    Transcript,
    TTSAudio,
    TurnEnded,
    closes_stage,
    event_ms,
    event_stage,
)
from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "orchestrator"
EVENT_NAMES = {cls.__name__ for cls in get_args(get_args(Event)[0])}


def constructions() -> dict[str, list[str]]:
    """Where each event class is called (built) in the package's source, as ``path:line``."""
    sites: dict[str, list[str]] = {name: [] for name in EVENT_NAMES}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EVENT_NAMES:
                sites[node.func.id].append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    return sites


def test_each_event_type_is_built_in_exactly_one_place_inside_the_turn_stages():
    sites = constructions()

    assert {name: len(found) for name, found in sites.items()} == dict.fromkeys(EVENT_NAMES, 1)
    assert all(site.startswith("orchestrator/turn/") for found in sites.values() for site in found)


def test_only_the_turn_context_hands_events_to_the_tracer():
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "emit" and ast.unparse(func.value).endswith("tracer"):
                callers.append(str(path.relative_to(REPO_ROOT)))

    assert callers == ["orchestrator/turn/context.py"]


def test_a_wrong_field_name_or_value_in_an_event_is_a_mypy_error(tmp_path: Path):
    snippet = tmp_path / "events_in_use.py"
    snippet.write_text(textwrap.dedent("""\
        from orchestrator.events import DialogReply, ErrorEvent, Transcript
        from orchestrator.turn.context import TurnContext


        def emit_some(ctx: TurnContext) -> None:
            ctx.emit(Transcript(text="hi", confidence=0.9, ms=1.0, backend="fake"))
            ctx.emit(Transcript(txt="hi", confidence=0.9, ms=1.0, backend="fake"))
            ctx.emit(DialogReply(user_text="", text="", intent="", slots={}, state="", ms=0.0, backend="",
                                 source="a model"))
            ctx.emit(ErrorEvent(stage="cache", category="x", message="y", retryable=False))
            ctx.emit(Transcript(text="hi", confidence=0.9, ms=1.0, backend="fake")).intent
        """))

    # The checkout's own mypy cache: warm once `mypy orchestrator app.py` has run (it ignores itself in git).
    out, err, status = mypy_api.run([
        str(snippet), "--cache-dir", str(REPO_ROOT / ".mypy_cache"), "--no-error-summary", "--show-error-codes",
        "--config-file", str(REPO_ROOT / "pyproject.toml"),
    ])

    # A snippet mypy checked before (same text) comes back from its cache under the path it had then.
    lines = sorted({int(line.split(":")[1]) for line in out.splitlines()
                    if Path(line.split(":")[0]).name == snippet.name})
    assert status == 1, err
    assert lines == [7, 9, 10, 11], out
    assert 'Unexpected keyword argument "txt" for "Transcript"' in out


def test_every_event_type_has_a_place_and_an_error_belongs_to_the_stage_that_failed():
    assert set(PLACES) == set(EventBase.__subclasses__())
    assert {place.stage for place in PLACES.values()} <= set(STAGES)
    error = ErrorEvent(stage="stt", category="timeout", message="slow", retryable=True)
    assert event_stage(error) == "stt" and event_ms(error) is None


@pytest.mark.parametrize(
    ("event", "stage", "ms"),
    [
        (AudioReceived(duration_s=1.0, sample_rate=16_000, channels=1, speech_s=0.8, ms=4.0), "audio", 4.0),
        (Transcript(text="hi", confidence=0.9, ms=120.0, backend="fake"), "stt", 120.0),
        (TTSAudio(first_audio_ms=20.0, total_ms=90.0, audio_s=1.0, chunks=2, sample_rate=16_000, backend="f"),
         "tts", 90.0),
    ],
)
def test_the_events_that_close_a_stage_report_its_whole_time(event, stage, ms):
    assert (event_stage(event), event_ms(event), closes_stage(event)) == (stage, ms, True)


def test_turn_ended_belongs_to_the_turn_and_closes_no_stage():
    ended = TurnEnded(ok=True, total_ms=30.0, timings_ms={"total": 30.0})
    assert (event_stage(ended), event_ms(ended), closes_stage(ended)) == ("turn", 30.0, False)

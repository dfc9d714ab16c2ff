"""orchestrator.ui: steps shown per stage, the browser chat session, and the offline page."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.dialog.phrases import GREETING
from orchestrator.events import ErrorEvent, TurnEnded, TurnStarted
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.ids import validate_session_id
from orchestrator.stt.fake import FakeSTT
from orchestrator.ui import ChatSession, StepView, steps_for
from orchestrator.ui.offline import install, strip_external_links
from orchestrator.ui.session import MIC_SAMPLE_RATE
from tests.conftest import make_pipeline
from tests.unit.helpers import pcm16, silence, tone, wav_bytes

FIRST_GREETING = f"{AI_DISCLOSURE} {GREETING}"  # a session's first reply opens with the disclosure


@pytest.fixture
def short_limit_pipeline(fake_settings: Settings) -> Iterator[Pipeline]:
    """Fake backends, but the audio limit is one second."""
    pipeline = make_pipeline(fake_settings.model_copy(update={"max_audio_seconds": 1.0}), stt=FakeSTT(["hello"]))
    yield pipeline
    pipeline.store.close()


def mic_chunks(samples: np.ndarray, chunk_s: float = 0.1) -> list[bytes]:
    data = pcm16(samples)
    size = int(MIC_SAMPLE_RATE * chunk_s) * 2
    return [data[i : i + size] for i in range(0, len(data), size)]


# -- steps ---------------------------------------------------------------------------------------------


async def test_an_audio_turn_gives_one_step_per_stage_with_unique_names_in_ms(fake_pipeline):
    audio = wav_bytes(np.concatenate([silence(0.3), tone(1.0, amp=0.3)]))

    result = await fake_pipeline.run_turn("s-steps", audio=audio)

    steps = steps_for(result.events)

    assert [s.name.split(" - ")[0] for s in steps] == ["Audio", "Speech-to-text", "Dialog", "Text-to-speech"]
    assert len({s.name for s in steps}) == len(steps)
    assert all("ms" in s.name for s in steps)
    assert all(isinstance(s, StepView) and s.ms >= 0 for s in steps)
    dialog = steps[2]
    assert dialog.type == "llm"
    assert dialog.input == "hello"
    assert GREETING in dialog.output and "intent: greeting" in dialog.output
    assert "16 kHz mono" in steps[0].output
    assert "confidence 0.99" in steps[1].output


async def test_a_text_turn_has_only_the_dialog_and_speech_steps(fake_pipeline):
    result = await fake_pipeline.run_turn("s-steps-text", text="hello")

    steps = steps_for(result.events)

    assert [s.name.split(" - ")[0] for s in steps] == ["Dialog", "Text-to-speech"]
    # The speech step lists every piece in order.
    assert steps[1].input.splitlines()[0].startswith("1. You are speaking with the bank's virtual assistant,")


def test_an_error_event_becomes_an_error_step_naming_the_stage():
    events = [
        TurnStarted(session_id="s", turn=1, input_kind="audio", backends={}),
        ErrorEvent(session_id="s", turn=1, stage="stt", category="timeout", message="too slow", retryable=True),
        TurnEnded(session_id="s", turn=1, ok=False, total_ms=5.0, timings_ms={}),
    ]

    (step,) = steps_for(events)

    assert step.name == "Error in stt"
    assert (step.input, step.output) == ("timeout", "too slow")


def test_no_events_give_no_steps():
    assert steps_for([]) == []


# -- chat session ----------------------------------------------------------------------------------------


def test_a_new_chat_gets_a_valid_session_id_and_a_welcome(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    assert validate_session_id(chat.session_id) == chat.session_id
    assert "VoiceBot Workbench" in chat.welcome
    assert ChatSession(fake_pipeline, "given-id").session_id == "given-id"


async def test_a_text_turn_gives_the_reply_and_wav_bytes(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("hello")

    assert outcome.error is None
    assert outcome.reply == FIRST_GREETING
    assert outcome.wav is not None and outcome.wav[:4] == b"RIFF"
    assert outcome.result is not None and outcome.result.session_id == chat.session_id
    assert outcome.steps


async def test_turns_of_one_chat_share_its_session(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    await chat.text_turn("I want a loan of 25,000 dollars")
    await chat.text_turn("over 5 years at 6.5 percent")
    outcome = await chat.text_turn("yes")

    assert outcome.result is not None and outcome.result.turn == 3
    assert "$489.15" in (outcome.reply or "")
    # A quote comes with its schedule: the table and the balance chart.
    assert outcome.schedule is not None
    assert outcome.schedule.periods == 60
    assert "$489.35" in outcome.schedule.table_markdown
    assert outcome.schedule.png[:8] == b"\x89PNG\r\n\x1a\n"


async def test_an_empty_message_gives_a_friendly_error_instead_of_raising(fake_pipeline):
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("   ")

    assert outcome.reply is None and outcome.wav is None
    assert outcome.error == "the message is empty: type or say something"
    assert [s.name for s in outcome.steps] == ["Error in input"]


async def test_an_unexpected_failure_gives_a_generic_error_instead_of_raising(fake_pipeline, monkeypatch):
    async def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(fake_pipeline, "run_turn", explode)
    chat = ChatSession(fake_pipeline)

    outcome = await chat.text_turn("hello")

    assert outcome.error is not None and "Something went wrong" in outcome.error
    assert "database on fire" not in outcome.error
    assert outcome.steps == []


async def test_a_microphone_recording_of_a_24k_tone_runs_an_audio_turn(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    chat.start_recording()
    for chunk in mic_chunks(np.concatenate([silence(0.2, MIC_SAMPLE_RATE), tone(1.0, MIC_SAMPLE_RATE, amp=0.3)])):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is None, outcome.error
    assert outcome.reply == FIRST_GREETING
    assert outcome.result is not None and outcome.result.transcript == "hello"
    assert outcome.wav is not None and outcome.wav[:4] == b"RIFF"
    assert [s.name.split(" - ")[0] for s in outcome.steps][:2] == ["Audio", "Speech-to-text"]


async def test_a_recording_past_the_limit_gives_an_error_and_is_forgotten(short_limit_pipeline):
    chat = ChatSession(short_limit_pipeline)
    chat.start_recording()
    for chunk in mic_chunks(tone(2.0, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error == "That recording is longer than the 1 s limit. Please keep it shorter."
    assert outcome.reply is None and outcome.steps == []

    # The next, shorter recording works.
    for chunk in mic_chunks(tone(0.5, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)
    retry = await chat.audio_turn()
    assert retry.error is None and retry.reply == FIRST_GREETING


async def test_a_recording_just_under_the_limit_is_accepted(short_limit_pipeline):
    chat = ChatSession(short_limit_pipeline)
    for chunk in mic_chunks(tone(0.9, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is None


async def test_an_empty_recording_gives_a_friendly_error(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    chat.start_recording()

    outcome = await chat.audio_turn()

    assert outcome.error == "no audio was recorded"


async def test_a_silent_recording_gives_a_friendly_error(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    for chunk in mic_chunks(silence(1.0, MIC_SAMPLE_RATE)):
        chat.add_chunk(chunk)

    outcome = await chat.audio_turn()

    assert outcome.error is not None and "no speech heard" in outcome.error
    assert [s.name for s in outcome.steps] == ["Error in audio"]


async def test_start_recording_discards_what_was_recorded_before(fake_pipeline):
    chat = ChatSession(fake_pipeline)
    for chunk in mic_chunks(tone(1.0, MIC_SAMPLE_RATE, amp=0.3)):
        chat.add_chunk(chunk)

    chat.start_recording()
    outcome = await chat.audio_turn()

    assert outcome.error == "no audio was recorded"


async def test_an_uploaded_file_runs_an_audio_turn(fake_pipeline, tmp_path: Path):
    path = tmp_path / "upload.wav"
    path.write_bytes(wav_bytes(tone(1.0, 44_100, amp=0.3), 44_100, channels=2))
    chat = ChatSession(fake_pipeline)

    outcome = await chat.file_turn(path)

    assert outcome.error is None and outcome.reply == FIRST_GREETING


async def test_a_corrupt_upload_gives_a_friendly_error(fake_pipeline, tmp_path: Path):
    path = tmp_path / "upload.wav"
    path.write_text("not audio")

    outcome = await ChatSession(fake_pipeline).file_turn(path)

    assert outcome.error is not None and "not audio that can be decoded" in outcome.error


# -- offline page --------------------------------------------------------------------------------------


PAGE = """<html><head>
<link rel="preconnect" href="https://fonts.googleapis.com">
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.css" crossorigin="anonymous" />
<link rel="stylesheet" href="http://example.com/plain.css">
<link
   rel="stylesheet"
   href="//cdn.example.com/protocol-relative.css">
<LINK REL="icon" HREF="HTTPS://cdn.example.com/favicon.ico">
<link rel="icon" href="/favicon">
<link rel="stylesheet" href="./assets/index.css">
<link rel="stylesheet" href="/public/theme.css" />
<script src="/assets/index.js"></script>
</head><body><a href="https://example.com">docs</a></body></html>"""


def test_external_links_are_removed_and_local_ones_kept():
    html = strip_external_links(PAGE)

    for gone in ("fonts.googleapis.com", "katex", "plain.css", "protocol-relative.css", "favicon.ico"):
        assert gone not in html
    for kept in ('href="/favicon"', 'href="./assets/index.css"', 'href="/public/theme.css"', "/assets/index.js"):
        assert kept in html
    # Only <link> tags are touched: an anchor to an external page stays.
    assert '<a href="https://example.com">docs</a>' in html


def test_a_page_without_external_links_is_unchanged():
    page = '<head><link rel="stylesheet" href="/a.css"></head>'

    assert strip_external_links(page) == page


def test_an_external_link_with_a_single_quoted_href_is_removed():
    assert "cdn.example.com" not in strip_external_links("<link rel='stylesheet' href='https://cdn.example.com/x.css'>")


def test_install_wraps_chainlits_template_once(monkeypatch):
    calls: list[int] = []

    def get_html_template(*args, **kwargs):
        calls.append(1)
        return '<link href="https://fonts.example.com/f.css"><link href="/local.css">'

    server = types.ModuleType("chainlit.server")
    server.get_html_template = get_html_template  # type: ignore[attr-defined]
    package = types.ModuleType("chainlit")
    package.server = server  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "chainlit", package)
    monkeypatch.setitem(sys.modules, "chainlit.server", server)

    install()
    wrapped = server.get_html_template
    install()  # idempotent: no second wrapper

    assert server.get_html_template is wrapped
    assert server.get_html_template() == '<link href="/local.css">'
    assert calls == [1]


def test_step_names_only_use_characters_chainlit_accepts_in_avatar_urls(fake_pipeline):
    # Chainlit 2.12 fetches /avatars/<step name> and answers 400 unless the name
    # matches this pattern (chainlit/server.py), which litters the console.
    import asyncio
    import re

    from orchestrator.ui.present import steps_for

    result = asyncio.run(fake_pipeline.run_turn("avatar-check", text="hello"))
    for step in steps_for(result.events):
        assert re.fullmatch(r"[a-zA-Z0-9_ .-]+", step.name), step.name


def _live_chat(fake_pipeline):
    from orchestrator.trace import EventBus
    from orchestrator.ui import ChatSession

    bus = EventBus()
    fake_pipeline.tracer.add_sink(bus)
    return ChatSession(fake_pipeline, bus=bus)


async def test_a_live_turn_hands_each_step_to_the_ui_through_the_bus_as_its_event_arrives(fake_pipeline):
    chat = _live_chat(fake_pipeline)
    received: list[str] = []

    async def on_step(view):
        received.append(view.name.split(" - ")[0])

    outcome = await chat.text_turn("I'd like to borrow 25,000 dollars over 5 years at 6.5 percent", on_step=on_step)

    assert received == ["Dialog", "Text-to-speech"]
    assert outcome.streamed and outcome.steps[0].name.startswith("Dialog")
    assert "$25,000" in (outcome.reply or "") and outcome.schedule is None
    assert "1." in outcome.steps[1].input  # the TTS step lists the spoken pieces


async def test_a_live_turn_that_fails_still_streams_the_error_step_and_keeps_serving(fake_pipeline):
    chat = _live_chat(fake_pipeline)
    received: list[str] = []

    async def on_step(view):
        received.append(view.name)

    failed = await chat.text_turn("   ", on_step=on_step)
    assert failed.error and "empty" in failed.error
    assert received == ["Error in input"]

    ok = await chat.text_turn("hello", on_step=on_step)
    assert ok.error is None and ok.reply


async def test_a_live_turn_only_sees_its_own_sessions_events(fake_pipeline):
    chat = _live_chat(fake_pipeline)
    other = _live_chat(fake_pipeline)
    received: list[str] = []

    async def on_step(view):
        received.append(view.name)

    await other.text_turn("hello")
    await chat.text_turn("hello", on_step=on_step)
    assert len([r for r in received if r.startswith("Dialog")]) == 1


# -- scenarios in the browser ----------------------------------------------------------------

from orchestrator.ui.scenarios import (  # noqa: E402
    ScenarioCommand,
    ScenarioLibrary,
    parse_command,
    summary_text,
    turn_steps,
)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/scenarios", ScenarioCommand("list")),
        ("/scenario", ScenarioCommand("list")),
        ("/scenario loan slot by slot", ScenarioCommand("play", "loan slot by slot")),
        ("/scenario 'loan slot by slot' --audio", ScenarioCommand("play", "loan slot by slot", audio=True)),
        ("hello", None),
        ("/scenariox", None),
    ],
)
def test_scenario_commands_in_the_chat(text, command):
    assert parse_command(text) == command


def test_the_library_loads_the_shipped_scenarios_and_lists_starters():
    library = ScenarioLibrary()
    assert len(library.names()) >= 25 and library.problems == []
    assert "loan happy path in one sentence" in library.names(tag="starter")
    with pytest.raises(Exception, match="Did you mean"):
        library.get("happy path")


def test_a_malformed_scenario_is_listed_as_a_problem_not_fatal(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\nturns: 3\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text("name: good\nturns:\n  - user: hi\n", encoding="utf-8")
    library = ScenarioLibrary(tmp_path)
    assert library.names() == ["good"]
    assert library.problems and "bad.yaml:2" in library.problems[0]


async def test_playing_a_scenario_reports_each_turn_with_its_checks(fake_pipeline):
    seen = []

    async def on_turn(turn):
        seen.append([view.name.split(" - ")[0] for view in turn_steps(turn)])

    run = await ScenarioLibrary().play("loan happy path in one sentence", fake_pipeline, on_turn=on_turn)
    assert run.passed, run.failures()
    assert seen == [["Dialog", "Text-to-speech", "Checks"]] * 2
    assert summary_text(run).startswith("Scenario **loan happy path in one sentence**: PASS, 2 turns")
    last = turn_steps(run.turns[-1])[-1]
    assert last.name.startswith("Checks - ") and "✅ figure payment" in last.output

"""Adapters in turns: per-session and global activation, events, scenarios, the browser picker."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.adapters.activation import activate
from orchestrator.adapters.errors import AdapterNotFoundError, InvalidAdapterNameError
from orchestrator.adapters.names import BASE
from orchestrator.errors import InvalidSessionIdError
from orchestrator.events import DialogReply, ErrorEvent, parse_event
from orchestrator.scenarios import load_scenario, run_scenario
from orchestrator.sessions.base import SessionState
from orchestrator.ui.adapters import FOLLOW_GLOBAL, adapter_picker, apply_adapter_choice
from tests.conftest import make_pipeline
from tests.unit.adapter_fakes import install_scripted_adapters, save_fake_adapter


def reply_of(result) -> DialogReply:
    return next(e for e in result.events if isinstance(e, DialogReply))


@pytest.fixture
def scripted(fake_settings, monkeypatch):
    """Adapter 'tuned' (says balance to everything) on disk, served by a scripted classifier."""
    save_fake_adapter(fake_settings, "tuned")
    return install_scripted_adapters(monkeypatch, intent="balance")


async def test_a_session_adapter_changes_that_sessions_nlu_and_the_event_names_it(fake_pipeline, scripted):
    await fake_pipeline.set_adapter("with", "tuned")
    tuned = await fake_pipeline.run_turn("with", text="tell me a joke")
    plain = await fake_pipeline.run_turn("without", text="tell me a joke")
    assert tuned.intent == "balance" and reply_of(tuned).adapter == "tuned"
    assert plain.intent == "out_of_scope" and reply_of(plain).adapter is None
    assert fake_pipeline.store.load("with").adapter == "tuned"  # kept across turns
    again = await fake_pipeline.run_turn("with", text="tell me a joke")
    assert reply_of(again).adapter == "tuned" and scripted == ["tuned", "tuned"]


async def test_global_activation_reaches_sessions_without_a_choice_and_base_opts_out(fake_pipeline, scripted):
    activate(fake_pipeline.settings, "tuned")
    await fake_pipeline.set_adapter("opted-out", BASE)
    follows = await fake_pipeline.run_turn("follows", text="tell me a joke")
    opted = await fake_pipeline.run_turn("opted-out", text="tell me a joke")
    assert reply_of(follows).adapter == "tuned" and follows.intent == "balance"
    assert reply_of(opted).adapter is None and opted.intent == "out_of_scope"


async def test_a_vanished_active_adapter_fails_the_turn_with_a_clear_error(fake_pipeline, scripted):
    await fake_pipeline.set_adapter("s1", "gone")
    with pytest.raises(AdapterNotFoundError) as caught:
        await fake_pipeline.run_turn("s1", text="hello")
    error = next(e for e in caught.value.turn_events if isinstance(e, ErrorEvent))
    assert error.stage == "dialog" and error.category == "adapter_not_found" and "'gone'" in error.message


async def test_set_adapter_rejects_hostile_names_and_session_ids(fake_pipeline):
    with pytest.raises(InvalidAdapterNameError):
        await fake_pipeline.set_adapter("s1", "../x")
    with pytest.raises(InvalidSessionIdError):
        await fake_pipeline.set_adapter("../s", "tuned")


def test_old_sessions_and_old_events_load_without_the_adapter_field():
    old = {"session_id": "s1", "turns": 2, "dialog": {}, "history": [], "voice_consent": None}
    assert SessionState.model_validate(old).adapter is None
    event = parse_event({"type": "dialog_reply", "session_id": "s1", "turn": 1, "user_text": "hi", "text": "Hello.",
                         "intent": "greeting", "slots": {}, "state": "start", "ms": 1.0, "backend": "rules"})
    assert isinstance(event, DialogReply) and event.adapter is None


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_scenario_that_names_an_existing_adapter_plays_on_it(fake_settings, scripted, tmp_path):
    text = ("name: a\ncompliance: []\nsettings: {adapter: tuned}\nturns:\n"
            "  - user: tell me a joke\n    expect: {intent: balance}\n")
    pipeline = make_pipeline(fake_settings)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "a.yaml", text)), pipeline)
    finally:
        pipeline.store.close()
    assert run.passed, run.failures()
    assert reply_of(run.turns[0].result).adapter == "tuned"


async def test_a_scenario_with_a_hostile_adapter_name_fails_setup(fake_settings, tmp_path):
    text = "name: a\nsettings: {adapter: ../x}\nturns:\n  - user: hi\n"
    pipeline = make_pipeline(fake_settings)
    try:
        run = await run_scenario(load_scenario(write(tmp_path, "a.yaml", text)), pipeline)
    finally:
        pipeline.store.close()
    assert run.turns == [] and "invalid adapter name" in (run.setup_error or "")


async def test_the_browser_picker_lists_choices_and_switches_the_session(fake_pipeline, scripted):
    picker = adapter_picker(fake_pipeline)
    assert picker.values[:2] == [FOLLOW_GLOBAL, BASE] and {"tuned", "banking-v1"} <= set(picker.values)
    assert picker.initial == FOLLOW_GLOBAL and "the base model" in picker.description
    assert "adapter tuned" in await apply_adapter_choice(fake_pipeline, "chat1", "tuned")
    result = await fake_pipeline.run_turn("chat1", text="tell me a joke")
    assert reply_of(result).adapter == "tuned"
    assert "base intent classifier" in await apply_adapter_choice(fake_pipeline, "chat1", BASE)
    assert fake_pipeline.store.load("chat1").adapter == BASE
    assert "globally active" in await apply_adapter_choice(fake_pipeline, "chat1", FOLLOW_GLOBAL)
    assert fake_pipeline.store.load("chat1").adapter is None
    with pytest.raises(AdapterNotFoundError, match="no adapter named 'nope'"):
        await apply_adapter_choice(fake_pipeline, "chat1", "nope")

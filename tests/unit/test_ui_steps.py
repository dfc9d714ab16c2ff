"""orchestrator.ui: the steps shown per stage, after the turn or live as its events arrive."""

from __future__ import annotations

import numpy as np

from orchestrator.dialog.phrases import GREETING
from orchestrator.events import ErrorEvent, TurnEnded, TurnStarted
from orchestrator.ui import ChatSession, StepView, steps_for
from tests.unit.helpers import silence, tone, wav_bytes


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


async def test_a_live_turn_draws_its_steps_only_once_the_first_piece_of_the_reply_is_on_its_way(fake_pipeline):
    from orchestrator.audio import pcm16_bytes
    from orchestrator.pipeline import AudioInput

    chat = _live_chat(fake_pipeline)
    order: list[str] = []

    async def on_step(view):
        order.append(view.name.split(" - ")[0])

    async def piece(index, samples, rate):
        order.append(f"piece {index}")

    audio = AudioInput(pcm=pcm16_bytes(np.concatenate([silence(0.2), tone(1.0), silence(0.2)])), sample_rate=16_000)
    outcome = await chat.run_audio(audio, on_step=on_step, on_audio_chunk=piece)

    assert outcome.error is None and outcome.streamed
    assert order[0] == "piece 0"  # the voice first: the speech-to-text step waited for it
    assert "Speech-to-text" in order and set(order[1:]) >= {"Dialog", "Text-to-speech"}

"""Cutting a turn (barge-in cancels its task): it ends with a turn_ended marked cut, and the session stays whole."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.dialog.rules import RulesDialog
from orchestrator.events import TurnEnded
from orchestrator.llm.base import DialogTurn
from orchestrator.pipeline import Pipeline
from orchestrator.trace import read_jsonl
from orchestrator.tts.fake import FakeTTS

LOAN = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent"
GATE_TIMEOUT_S = 10.0  # a gate nobody opens lets its worker thread go after this


class Gate:
    """Blocks worker threads until opened (every test opens it at the end)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self) -> None:
        self._event.wait(GATE_TIMEOUT_S)

    def open(self) -> None:
        self._event.set()


class SlowTTS(FakeTTS):
    """Speaks the first piece at once; every later piece waits at the gate."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate

    def synthesize(self, text: str) -> np.ndarray:
        if self.spoken:
            self.gate.wait()
        return super().synthesize(text)


class SlowDialog(RulesDialog):
    """The rules dialog, but it thinks until the gate opens."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate
        self.slow = False

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        if self.slow:
            self.gate.wait()
        return super().reply(user_text, memory)


class HalfSpokenDialog(RulesDialog):
    """A streaming dialog that says one sentence, then thinks until the gate opens."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate

    def reply_stream(
        self, user_text: str, memory: dict[str, Any], on_text: Callable[[str], None] | None, *, model: str | None = None
    ) -> DialogTurn:
        if on_text is not None:
            on_text("Let me see.")
        self.gate.wait()
        return super().reply(user_text, memory)


@pytest.fixture
def gate() -> Iterator[Gate]:
    """Opened by each test once its turn was cut (the event loop's executor waits for blocked threads)."""
    opened = Gate()
    yield opened
    opened.open()


async def cut_after_first_audio(pipeline: Pipeline, sid: str, text: str) -> None:
    """Start a turn, cancel it as soon as its first reply piece is heard, and wait for it to finish."""
    heard = asyncio.Event()

    async def on_chunk(index: int, samples: np.ndarray, rate: int) -> None:
        heard.set()

    task = asyncio.create_task(pipeline.run_turn(sid, text=text, on_audio_chunk=on_chunk))
    await asyncio.wait_for(heard.wait(), GATE_TIMEOUT_S)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def ended(settings: Settings, sid: str, turn: int) -> TurnEnded:
    log = read_jsonl(settings.logs_dir / f"{sid}.jsonl")
    (event,) = [e for e in log if isinstance(e, TurnEnded) and e.turn == turn]
    return event


async def test_a_turn_cut_while_its_reply_is_spoken_says_so_and_keeps_the_dialogs_answer(
    pipelines, gate, fake_settings
):
    pipeline = pipelines(tts=SlowTTS(gate))

    await cut_after_first_audio(pipeline, "cut-tts", LOAN)

    end = ended(fake_settings, "cut-tts", 1)
    assert (end.ok, end.cut, end.reached) == (False, True, "tts")
    state = pipeline.store.load("cut-tts")
    assert state is not None and state.turns == 1
    assert state.dialog["loan"] == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}
    (entry,) = state.history
    assert entry.cut and entry.intent == "loan_quote" and entry.bot.startswith(AI_DISCLOSURE)

    gate.open()
    after = await pipeline.run_turn("cut-tts", text="yes")
    assert after.turn == 2 and after.state == "quoted" and after.figures["payment"] == "489.15"
    assert not after.reply.startswith(AI_DISCLOSURE)  # the cut turn had said it


async def test_a_turn_cut_while_the_dialog_thinks_keeps_the_old_memory_and_no_history(pipelines, gate, fake_settings):
    dialog = SlowDialog(gate)
    pipeline = pipelines(dialog=dialog)
    await pipeline.run_turn("cut-dialog", text="I want a loan of 25,000 dollars")
    dialog.slow = True

    task = asyncio.create_task(pipeline.run_turn("cut-dialog", text="over 5 years"))
    await asyncio.sleep(0.2)  # the dialog is waiting at the gate
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.open()  # the abandoned dialog thread finishes; nothing waits for it

    end = ended(fake_settings, "cut-dialog", 2)
    assert (end.ok, end.cut, end.reached) == (False, True, "dialog")
    state = pipeline.store.load("cut-dialog")
    assert state is not None and state.turns == 2
    assert state.dialog["loan"] == {"principal": "25000"}
    assert [h.turn for h in state.history] == [1]

    dialog.slow = False
    after = await pipeline.run_turn("cut-dialog", text="over 5 years")
    assert after.turn == 3 and after.slots == {"principal": "25000", "term_months": 60}


async def test_a_streamed_reply_cut_half_way_keeps_what_was_said_and_the_old_memory(pipelines, gate, fake_settings):
    pipeline = pipelines(dialog=HalfSpokenDialog(gate))

    await cut_after_first_audio(pipeline, "cut-stream", LOAN)
    gate.open()

    assert ended(fake_settings, "cut-stream", 1).reached == "dialog"
    state = pipeline.store.load("cut-stream")
    assert state is not None and state.turns == 1 and state.dialog == {}
    (entry,) = state.history
    assert entry.cut and entry.user == LOAN and entry.intent == ""
    assert entry.bot.startswith("You are speaking with the bank's virtual assistant")  # the disclosure's first piece


async def test_a_turn_waiting_behind_a_cut_one_sees_its_saved_state(pipelines, gate):
    pipeline = pipelines(tts=SlowTTS(gate))
    heard = asyncio.Event()

    async def on_chunk(index: int, samples: np.ndarray, rate: int) -> None:
        heard.set()

    first = asyncio.create_task(pipeline.run_turn("cut-queue", text=LOAN, on_audio_chunk=on_chunk))
    await asyncio.wait_for(heard.wait(), GATE_TIMEOUT_S)
    second = asyncio.create_task(pipeline.run_turn("cut-queue", text="yes"))  # waits for the session's lock
    first.cancel()
    gate.open()

    result = await second
    assert first.cancelled()
    assert result.turn == 2 and result.state == "quoted"
    state = pipeline.store.load("cut-queue")
    assert state is not None and [h.cut for h in state.history] == [True, False]

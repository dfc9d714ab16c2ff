"""Whole conversations in text through the pipeline (fake STT/TTS, rules dialog with keyword intents).

The same table runs on the MiniLM classifier in tests/integration/test_conversations_minilm.py.
"""

from __future__ import annotations

import pytest

from orchestrator.compliance import AI_DISCLOSURE
from orchestrator.config import Settings
from orchestrator.events import DialogReply
from orchestrator.pipeline import Pipeline
from tests.conftest import make_pipeline
from tests.conversations import CONVERSATIONS, Conversation


async def run_conversation(pipeline: Pipeline, conversation: Conversation, session_id: str) -> None:
    """Play every step and check what it expects; the first reply must open with the disclosure."""
    for index, step in enumerate(conversation.steps):
        result = await pipeline.run_turn(session_id, text=step.user)
        where = f"{conversation.name!r} step {index + 1} ({step.user!r}) -> {result.reply!r}"
        if index == 0:
            assert result.reply.startswith(AI_DISCLOSURE), where
        else:
            assert AI_DISCLOSURE not in result.reply, where
        if step.intent is not None:
            assert result.intent == step.intent, where
        if step.state is not None:
            assert result.state == step.state, where
        for text in step.contains:
            assert text in result.reply, where
        for text in step.not_contains:
            assert text not in result.reply, where
        for key, value in step.slots.items():
            assert result.slots.get(key) == value, where
        for key, value in step.figures.items():
            assert result.figures.get(key) == value, where
        reply_event = next(e for e in result.events if isinstance(e, DialogReply))
        assert reply_event.figures == result.figures
        if "payment" in result.figures:
            # Compliance: every quote names the APR, the total, and that it is not an offer.
            assert "APR" in result.reply and "estimate, not an offer" in result.reply, where


def test_there_are_at_least_fifteen_conversations():
    assert len(CONVERSATIONS) >= 15
    assert len({c.name for c in CONVERSATIONS}) == len(CONVERSATIONS)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.name)
async def test_conversation(fake_pipeline: Pipeline, conversation: Conversation):
    await run_conversation(fake_pipeline, conversation, "conv-1")


async def test_the_dialog_state_lives_in_the_session_store(fake_pipeline: Pipeline):
    await fake_pipeline.run_turn("kept-1", text="I'd like to borrow $25,000")
    saved = fake_pipeline.store.load("kept-1")
    assert saved is not None
    assert saved.dialog["state"] == "collecting_loan"
    assert saved.dialog["loan"] == {"principal": "25000"}
    assert saved.dialog["disclosed"] is True


async def test_the_disclosure_can_be_switched_off(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings.model_copy(update={"disclosure": False}))
    try:
        result = await pipeline.run_turn("no-disc", text="hello")
    finally:
        pipeline.store.close()
    assert AI_DISCLOSURE not in result.reply
    assert result.intent == "greeting"

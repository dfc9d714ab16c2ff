"""The shared conversation table on the real MiniLM intent classifier (the app's default)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.config import Settings
from orchestrator.dialog.rules import RulesDialog
from orchestrator.nlu.intents import load_intent_classifier
from orchestrator.pipeline import Pipeline
from tests.conftest import make_pipeline
from tests.conversations import CONVERSATIONS, Conversation
from tests.unit.test_conversations import run_conversation

pytestmark = pytest.mark.models


@pytest.fixture
def minilm_pipeline(fake_settings: Settings) -> Iterator[Pipeline]:
    pipeline = make_pipeline(fake_settings, dialog=RulesDialog(load_intent_classifier("minilm")))
    yield pipeline
    pipeline.store.close()


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.name)
async def test_conversation_on_minilm(minilm_pipeline: Pipeline, conversation: Conversation):
    await run_conversation(minilm_pipeline, conversation, "conv-minilm")

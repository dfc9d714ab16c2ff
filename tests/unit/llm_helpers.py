"""Shared by the LLM backend tests: the key, the loan question and answer, settings on the scripted server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.llm.base import DIALOG_BACKENDS
from orchestrator.pipeline import Pipeline, TurnResult
from tests.conftest import make_pipeline
from tests.llm_server import FakeLLMServer

__all__ = ["ANSWER", "ASK", "BACKENDS", "KEY", "QUOTE_ARGS", "llm_settings", "of_type", "pipeline_for", "turn"]

KEY = "sk-test-SECRET-4242-do-not-log"
QUOTE_ARGS = {"principal": 25000, "annual_rate_percent": 6.5, "term_months": 60}
ASK = "What would I pay on a $25,000 loan at 6.5% over 5 years?"
ANSWER = (
    "Your monthly payment would be $489.15, with a final payment of $489.35. ",
    "The APR is 6.50% and in total you would repay $29,349.20. ",
    "This is an estimate, not an offer.",
)

BACKENDS = ["mistral", "openai"]


def llm_settings(home: Path, backend: str, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
                 **overrides: Any) -> Settings:
    monkeypatch.setenv("MISTRAL_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    values: dict[str, Any] = {
        "home": home, "stt": "fake", "tts": "fake", "llm": backend, "intent_classifier": "keywords",
        "mistral_url": server.url, "openai_url": f"{server.url}/v1", "openai_model": "served-mistral",
        "llm_backoff_s": 0.01, "llm_timeout_s": 5.0, "disclosure": False,
    }
    values.update(overrides)
    settings = Settings(**values)
    settings.ensure_dirs()
    return settings


def pipeline_for(settings: Settings) -> Pipeline:
    return make_pipeline(settings, dialog=DIALOG_BACKENDS.create(settings.llm, settings))


def turn(pipeline: Pipeline, text: str, sid: str = "llm-1", **kwargs: Any) -> TurnResult:
    return asyncio.run(pipeline.run_turn(sid, text=text, **kwargs))


def of_type(result: TurnResult, cls: type) -> list[Any]:
    return [e for e in result.events if isinstance(e, cls)]

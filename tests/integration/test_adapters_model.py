"""Real LoRA adapters on the real MiniLM: training, saved files, classification, turns, the shipped figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.adapters.classifier import load_adapter_classifier
from orchestrator.adapters.compare import compare_on_data
from orchestrator.adapters.data import read_eval_rows
from orchestrator.cli import app
from orchestrator.events import DialogReply
from orchestrator.nlu.intents import IntentPrediction
from tests.conftest import REALDATA, make_pipeline

pytestmark = pytest.mark.models

TINY = """text,label
what's my balance,balance
how much money have I got,balance
check my account balance,balance
how much is in my savings,balance
send money to my sister,transfer
transfer fifty dollars to savings,transfer
my transfer hasn't arrived,transfer
wire money abroad,transfer
tell me a joke,out_of_scope
what's the weather like,out_of_scope
book me a taxi,out_of_scope
play some music,out_of_scope
"""


def test_train_saves_a_safetensors_adapter_with_its_metadata_and_it_classifies(fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    data = tmp_path / "tiny.csv"
    data.write_text(TINY, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["adapter-control", "train", "--data", str(data), "--name", "tiny", "--epochs", "1", "--holdout", "0",
              "--json"]
    )
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout.strip().splitlines()[-1])
    folder = Path(trained["path"])
    assert folder == fake_settings.home / "adapters" / "tiny"
    assert {p.name for p in folder.rglob("*") if p.is_file()} == {
        "adapter.json", "head.safetensors", "adapter_config.json", "adapter_model.safetensors"}
    assert trained["labels"] == ["balance", "out_of_scope", "transfer"]
    assert trained["data"]["rows"] == 12 and len(trained["data"]["sha256"]) == 64
    assert trained["metrics"]["split"] == "train" and 0.0 <= trained["metrics"]["accuracy"] <= 1.0
    assert trained["training"]["epochs"] == 1 and trained["training"]["threads"] <= 2

    classifier = load_adapter_classifier(fake_settings, "tiny")
    prediction = classifier.classify("my card was stolen")  # the safe rules still come first
    assert prediction == IntentPrediction("lost_card", 1.0, "rule")
    scores = classifier.scores("what is my balance")
    assert set(scores) == {"balance", "out_of_scope", "transfer"} and sum(scores.values()) == pytest.approx(1.0)

    evaluated = CliRunner().invoke(app, ["adapter-control", "evaluate", "tiny", "--data", str(data), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert report["n"] == 12 and {"accuracy", "macro_f1", "confusion", "per_intent"} <= set(report)


async def test_a_session_on_the_shipped_adapter_classifies_with_it(fake_settings):
    pipeline = make_pipeline(fake_settings)
    try:
        await pipeline.set_adapter("tuned", "banking-v1")
        result = await pipeline.run_turn("tuned", text="my transfer is still showing as pending")
    finally:
        pipeline.store.close()
    reply = next(e for e in result.events if isinstance(e, DialogReply))
    assert reply.adapter == "banking-v1" and result.intent == "transfer"


def test_the_shipped_adapter_against_the_base_classifier_on_the_real_evaluation_set(fake_settings):
    """Measured, never trained on: banking_intents_sample.csv, mapped to our intents."""
    settings = fake_settings.model_copy(update={"intent_classifier": "minilm"})
    rows = read_eval_rows(REALDATA / "intents" / "banking_intents_sample.csv", mapped=True)
    results = compare_on_data(settings, "banking-v1", rows)
    base, adapter = results["base"], results["banking-v1"]
    assert base.n == adapter.n == 300
    assert adapter.accuracy >= base.accuracy and adapter.macro_f1 >= base.macro_f1

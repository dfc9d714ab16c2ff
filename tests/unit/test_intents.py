"""orchestrator.nlu.intents (keyword rules) and intent_eval, without the MiniLM model."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import UnknownBackendError
from orchestrator.nlu.intent_eval import LABEL_MAP, EvalDataError, evaluate, read_labelled_csv
from orchestrator.nlu.intent_examples import EXAMPLES
from orchestrator.nlu.intents import IntentClassifier, IntentPrediction, KeywordIntentClassifier, load_intent_classifier

REQUIRED = ("loan_quote", "mortgage", "balance", "lost_card", "transfer", "human_handoff", "goodbye", "out_of_scope")


def test_every_required_intent_has_training_examples():
    for intent in REQUIRED:
        assert len(EXAMPLES[intent]) >= 15, intent
    every = [t.lower() for examples in EXAMPLES.values() for t in examples]
    assert len(every) == len(set(every)), "an example is listed twice"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I lost my debit card", "lost_card"),
        ("my credit card was stolen yesterday", "lost_card"),
        ("let me speak to a real person", "human_handoff"),
        ("agent", "human_handoff"),
        ("thanks, bye", "goodbye"),
        ("no that's all", "goodbye"),
        ("I'd like a mortgage", "mortgage"),
        ("can I borrow 5000 dollars", "loan_quote"),
        ("what's my balance", "balance"),
        ("I want to transfer money", "transfer"),
        ("what can you do", "help"),
        ("hello", "greeting"),
        ("what's the weather like", "out_of_scope"),
        ("", "out_of_scope"),
    ],
)
def test_keyword_rules(text, intent):
    prediction = KeywordIntentClassifier().classify(text)
    assert prediction.intent == intent
    assert prediction.source == ("default" if intent == "out_of_scope" else "rule")


def test_someone_stealing_a_card_is_not_a_request_for_a_person():
    assert KeywordIntentClassifier().classify("someone stole my card").intent == "lost_card"
    assert KeywordIntentClassifier().classify("someone told me about your loans").intent == "loan_quote"


def test_a_greeting_with_a_request_is_the_request():
    assert KeywordIntentClassifier().classify("hi, I need a loan").intent == "loan_quote"


def test_the_factory_caches_and_refuses_unknown_names():
    assert load_intent_classifier("keywords") is load_intent_classifier("keywords")
    assert isinstance(load_intent_classifier("keywords"), IntentClassifier)
    with pytest.raises(UnknownBackendError, match="VOICEBOT_INTENT_CLASSIFIER"):
        load_intent_classifier("gpt")


# -- evaluation ------------------------------------------------------------------------


class Scripted:
    name = "scripted"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def classify(self, text: str) -> IntentPrediction:
        return IntentPrediction(self.answers[text], 1.0, "rule")


def test_evaluation_counts_mapped_and_unserved_labels_separately():
    rows = [("a", "loan"), ("b", "loan"), ("c", "card_arrival"), ("d", "card_arrival"),
            ("e", "balance_not_updated_after_bank_transfer")]
    answers = {"a": "loan_quote", "b": "mortgage", "c": "out_of_scope", "d": "lost_card", "e": "balance"}
    report = evaluate(Scripted(answers), rows)
    assert (report.n, report.mapped_n, report.unserved_n) == (5, 3, 2)
    assert report.mapped_accuracy == pytest.approx(2 / 3, abs=1e-4)
    assert report.unserved_accuracy == 0.5
    assert report.accuracy == 0.6
    assert report.per_label["loan"] == {"n": 2, "accuracy": 0.5, "expected": "loan_quote"}
    assert report.confusion["card_arrival"] == {"out_of_scope": 1, "lost_card": 1}
    assert {e["text"] for e in report.errors} == {"b", "d"}


def test_the_label_map_only_names_our_intents():
    ours = set(EXAMPLES)
    for accepted in LABEL_MAP.values():
        assert set(accepted) <= ours


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("utterance,intent\nhi,greeting\n", "missing column"),
        ("text,label\n", "no rows"),
        ("text,label\nhello,\n", ":2: empty text or label"),
    ],
)
def test_malformed_files_are_refused_with_file_and_reason(tmp_path, content, message):
    with pytest.raises(EvalDataError, match=message):
        read_labelled_csv(write(tmp_path, content))


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00\x81text,label")
    with pytest.raises(EvalDataError, match="UTF-8"):
        read_labelled_csv(path)


def test_the_cli_reports_json_and_gates_on_accuracy(tmp_path):
    path = write(tmp_path, "text,label\nI lost my card,lost_or_stolen_card\nwhat's my balance,balance\n"
                           "my card never arrived,card_arrival\nhow long does a transfer take,transfer_timing\n")
    runner = CliRunner()
    result = runner.invoke(app, ["eval-intents", str(path), "--classifier", "keywords", "--json"])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(result.stdout)
    assert payload["n"] == 4 and payload["classifier"] == "keywords"
    assert payload["mapped"]["n"] == 3
    gated = runner.invoke(app, ["eval-intents", str(path), "-c", "keywords", "--min-accuracy", "1.0"])
    assert gated.exit_code == (0 if payload["mapped"]["accuracy"] == 1.0 else 1)


def test_the_cli_exits_2_on_a_missing_file_or_an_unknown_classifier(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["eval-intents", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    path = write(tmp_path, "text,label\nhi,loan\n")
    unknown = runner.invoke(app, ["eval-intents", str(path), "-c", "bert"])
    assert unknown.exit_code == 2 and "VOICEBOT_INTENT_CLASSIFIER" in unknown.output

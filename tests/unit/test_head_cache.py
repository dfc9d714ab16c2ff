"""The intent head kept on disk: scikit-learn's probabilities, refitted only when its inputs change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from orchestrator.nlu import embeddings, head_cache
from orchestrator.nlu.embeddings import Encoder
from orchestrator.nlu.head_cache import fit_head, head_key, load_head, save_head
from orchestrator.nlu.intents import EmbeddingIntentClassifier
from tests.unit.test_intents import TOY_EXAMPLES, HashingModel

RNG = np.random.default_rng(7)


def _rows(n: int) -> np.ndarray:
    rows = RNG.normal(size=(n, 16)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("classes", [["a", "b", "c", "d"], ["yes", "no"]])
def test_the_head_gives_scikit_learns_own_probabilities(classes):
    matrix = _rows(80)
    labels = [classes[i % len(classes)] for i in range(80)]
    queries = _rows(5)

    head = fit_head(matrix, labels, 10.0)
    oracle = LogisticRegression(C=10.0, max_iter=3000).fit(matrix, labels)

    assert list(head.classes) == list(oracle.classes_)
    np.testing.assert_allclose(head.probabilities(queries), oracle.predict_proba(queries), atol=1e-5)


def test_a_saved_head_reads_back_the_same(tmp_path: Path):
    head = fit_head(_rows(30), ["a", "b", "c"] * 10, 10.0)
    save_head(tmp_path, "k" * 64, head)
    again = load_head(tmp_path, "k" * 64)

    assert again is not None and again.classes == head.classes
    queries = _rows(3)
    np.testing.assert_array_equal(again.probabilities(queries), head.probabilities(queries))
    assert load_head(tmp_path, "j" * 64) is None


def test_a_torn_or_foreign_file_is_not_read(tmp_path: Path):
    head = fit_head(_rows(30), ["a", "b", "c"] * 10, 10.0)
    path = save_head(tmp_path, "k" * 64, head)
    path.write_bytes(path.read_bytes()[:100])
    assert load_head(tmp_path, "k" * 64) is None
    path.write_bytes(b"not an npz at all")
    assert load_head(tmp_path, "k" * 64) is None


def test_the_key_changes_with_each_input():
    base = head_key("enc", ["hi", "bye"], ["greeting", "goodbye"], 10.0)

    assert base == head_key("enc", ["hi", "bye"], ["greeting", "goodbye"], 10.0)
    assert len({base, head_key("other", ["hi", "bye"], ["greeting", "goodbye"], 10.0),
                head_key("enc", ["hi", "ciao"], ["greeting", "goodbye"], 10.0),
                head_key("enc", ["hi", "bye"], ["goodbye", "greeting"], 10.0),
                head_key("enc", ["hi", "bye"], ["greeting", "goodbye"], 1.0)}) == 5


def test_a_second_classifier_reads_the_head_and_fits_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    encoder = Encoder(HashingModel())
    monkeypatch.setattr(embeddings, "load_encoder", lambda *_dir: encoder)
    first = EmbeddingIntentClassifier(examples=TOY_EXAMPLES, cache_dir=tmp_path)
    assert list(tmp_path.glob("intent-head-*.npz"))

    def no_fit(*_args: object) -> None:
        raise AssertionError("the head was fitted again")

    monkeypatch.setattr(head_cache, "fit_head", no_fit)
    second = EmbeddingIntentClassifier(examples=TOY_EXAMPLES, cache_dir=tmp_path)

    assert second.scores("send money to my sister") == first.scores("send money to my sister")
    assert second.classify("what is my balance please") == first.classify("what is my balance please")


def test_the_onnx_graph_is_exported_once_for_the_installation_or_else_for_the_home(tmp_path, monkeypatch):
    from orchestrator.nlu import minilm_onnx

    model_dir = tmp_path / "minilm"
    model_dir.mkdir()
    (model_dir / "model.safetensors").write_bytes(b"weights")
    exported: list[Path] = []

    def export(_model: Path, target: Path) -> None:
        exported.append(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"graph")

    monkeypatch.setattr(minilm_onnx, "export_onnx", export)
    shared = tmp_path / "install"
    monkeypatch.setattr(minilm_onnx, "install_dir", lambda: shared)
    first = minilm_onnx.find_or_export(model_dir, tmp_path / "home-a" / "models")
    again = minilm_onnx.find_or_export(model_dir, tmp_path / "home-b" / "models")
    assert first == again and first.parent == shared and exported == [first]  # a second home reuses it

    locked = tmp_path / "read-only"
    locked.mkdir(mode=0o555)
    monkeypatch.setattr(minilm_onnx, "install_dir", lambda: locked / "share")
    monkeypatch.setattr(minilm_onnx.os, "access", lambda _path, _mode: False)  # root ignores the mode bits
    own = minilm_onnx.find_or_export(model_dir, tmp_path / "home-c" / "models")
    assert own.parent == tmp_path / "home-c" / "models" and own.is_file()

